"""Process plumbing for the pure packages, free of domain knowledge.

Process plumbing shared by the pure packages: work in a forked child, the cyclic
garbage collector paused for bulk builds, which UTF-16 an imported file is in. No domain
knowledge lives here.
"""
