"""Every SQL statement of the tours area: tours and regions (tours), proposals
(proposals), runs and their log (runs), findings (findings), the report (report).
Nothing here commits."""
