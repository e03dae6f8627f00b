"""The gpucost functions as an xlwings Server ``custom_functions`` module.

xlwings Server registers every decorated function it finds in its ``app/custom_functions``
package. Copy this file there (e.g. as ``app/custom_functions/gpucost.py``) and add
``from .gpucost import *`` to that package's ``__init__.py``; with ``gpucost`` installed in the
server's environment, Excel gets ``=AIGC_COST()`` and friends. xlwings Server sets
``XLWINGS_ON_SERVER=true`` before it imports xlwings, so ``excel.functions`` picks up the server's
``func``/``arg``/``ret`` decorators.

Licence: xlwings Server (like the ``xlwings.pro`` package it runs on) is source-available and
dual-licensed: PolyForm Noncommercial 1.0.0 (free for non-commercial use) or the commercial xlwings
PRO licence. gpucost itself (Apache-2.0) does not depend on it.

On a shared server the functions must not read the server's files (a ``config.json`` path as the
model, ``import``, ``calibrate``): importing this module switches that off.

Imports ``excel.functions`` and ``engine.config`` only.
"""

from engine.config import EngineConfig
from excel import functions as _functions
from excel.functions import *  # noqa: F403  (the module's __all__: every AIGC_* function)

_functions.CONFIG = EngineConfig(allow_files=False)

__all__ = list(_functions.__all__)
