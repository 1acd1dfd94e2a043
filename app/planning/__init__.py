"""Three-shift patrol planning: must-visit points, stations, the roster, plans, plan
versus actual and overdue notices (the service layer over patrol)."""
