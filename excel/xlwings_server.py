"""The gpucost functions as an xlwings Server ``custom_functions`` module.

xlwings Server 1.x (``pip install xlwings-server``; a project made by ``xlwings-server init``)
registers every decorated function its top-level ``custom_functions`` package exposes. With
gpucost installed in the server's environment, one line in the project's
``custom_functions/__init__.py`` gives Excel ``=AIGC_COST()`` and friends::

    from excel.xlwings_server import *  # gpucost: =AIGC_COST() and friends

(Servers before 1.0 kept the package at ``app/custom_functions/``.) xlwings Server sets
``XLWINGS_ON_SERVER=true`` before it imports xlwings, so ``excel.functions`` picks up the server's
``func``/``arg``/``ret`` decorators. Every failure is an ``excel.functions.ExcelError``, an
``xlwings.XlwingsError``: the server answers it with HTTP 400 and its one-line message, which the
add-in shows on the cell and does not retry.

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
