"""Three-shift patrol planning (pure): shifts and windows, the roster, the route solver,
plan versus actual."""
