"""Crime series: incidents an analyst links as one (the same thief, night after night),
their time line and profile, mean centre and standard deviational ellipse, the road
corridors between them, the cameras watching those, and temporary must-visit points."""
