"""Camera health: sampling, diagnosis, states, tickets."""
