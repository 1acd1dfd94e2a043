"""The dispatch domain: unit status model, alerts' camera call-up, recommendation and radio
adapters.

Decisions are pure functions; the service layer loads, decides, commits and only then
talks to the outside through small adapters.
"""
