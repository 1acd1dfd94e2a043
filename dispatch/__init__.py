"""The dispatch domain, pure.

Unit status model, alerts' camera call-up, recommendation and radio parsers.

Decisions are pure functions; the service layer loads, decides, commits and only then
talks to the outside through small adapters.
"""
