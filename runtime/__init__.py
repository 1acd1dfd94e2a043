"""Process plumbing for the pure packages, free of domain knowledge.

Process plumbing shared by the pure packages: work in a forked child, the cyclic
garbage collector paused for bulk builds. No domain knowledge lives here.
"""
