"""The defaults an estimate uses when the query does not say, each with where it comes from.

Serving efficiencies, utilisation, peak-to-average and training MFU/goodput live with their models
in :mod:`engine.efficiency`; this module holds the rest: request shape, traffic, batch cap, energy,
training state and billing conventions. A value here is quoted in every result that uses it (the
``*_SOURCE`` text is the assumption line's source).

Imports nothing: every other engine module may import it.
"""

from __future__ import annotations

DEFAULT_IN = 512  # [tokens] prompt per request
DEFAULT_OUT = 256  # [tokens] reply per request
LENGTH_SOURCE = (
    "chat-style request: prompts of a few hundred tokens, replies ~200-300 "
    "(LMSYS-Chat-1M mean reply 214.5 tokens, Zheng et al. 2023, arXiv:2309.11998)"
)
DEFAULT_REQUESTS_PER_DAY = 10e6
REQUESTS_SOURCE = "10M requests/day: ChatGPT's early traffic in Tom Goldstein's Dec 2022 estimate"
DEFAULT_PER_USER = 10.0  # [requests per user per day]
PER_USER_SOURCE = "given users; 10 requests/user/day (Goldstein 2022)"
DEFAULT_BATCH_CAP = 256  # [concurrent sequences per replica]
BATCH_SOURCE = "largest batch that fits, capped at 256 concurrent sequences (vLLM's max_num_seqs default)"
DEFAULT_PUE = 1.2
PUE_SOURCE = (
    "PUE 1.2: between hyperscale fleets (~1.1, Google 2023) and the industry average "
    "(~1.58, Uptime Institute 2023 survey)"
)
DEFAULT_KWH_USD = 0.10  # [USD per kWh]
KWH_SOURCE = "0.10 USD/kWh: between US average industrial (~0.08) and commercial (~0.13) prices (EIA 2023)"
POWER_SOURCE = "board power = TDP from the catalog (an upper bound; measured draw is often 70-90% of TDP)"
TRAIN_SEQ_CAP = 8192  # [tokens] default training sequence: the model's context, capped here
# [B per parameter] bf16 weights 2 + grads 2 + fp32 master 4 + Adam m, v 8 (ZeRO, arXiv:1910.02054)
TRAIN_STATE_BYTES = 16.0
HOURS_PER_MONTH = 730.0  # 365 x 24 / 12, the cloud billing convention
#: GPUs ``compare`` ranks when the query names one GPU or none.
COMPARE_DEFAULT = ("H100", "H200", "A100-80G", "A100", "L40S", "L4", "A10G", "T4", "MI300X", "H20")
