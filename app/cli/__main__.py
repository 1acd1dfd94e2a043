"""``python -m app.cli``: the ``gridpatrol`` command of this checkout (how ``serve`` starts
its children)."""

from app.cli import main

main()
