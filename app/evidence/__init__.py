"""Video evidence and the camera network: evidence plans (which cameras, which minutes),
coverage of the network and its blind spots, where to add cameras."""
