"""Patrol planning: no database, web or network code, only the decisions.

Three-shift patrol planning, pure: shifts and windows, the roster, the route solver
(vroom / OR-Tools), plan versus actual (compliance).
"""
