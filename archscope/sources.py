"""The sources a zoo variant may come from (the ``SOURCE`` of ``ARCH.SOURCE``): the registry
(``archscope.zoo._registry``) refuses an entry with any other, and the CLI offers exactly these as
``archscope list --source`` (``archscope.options.Source``). A module of its own, importing nothing,
so the CLI can build its choices without importing the zoo."""

SOURCES = ("paper", "torchvision", "keras", "timm", "d2l", "tutorial")
