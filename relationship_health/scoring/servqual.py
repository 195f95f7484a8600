"""SERVQUAL: the gap between what customers expect and what they perceive.

Customers rate each service dimension twice on the same scale (1–7): what they
expect of a supplier like us, and what they perceive of us. The gap of a
dimension is mean perception − mean expectation: negative when we fall short.
The overall gap is the mean of the dimension gaps that could be measured; the
weakest dimension is the one with the lowest gap.
"""

import numpy as np
import pandas as pd

from .components import _day_numbers, _input_rows, _numbers, _timestamps

#: The five SERVQUAL dimensions, in a fixed order (ties pick the first).
from .vocabulary import DIMENSIONS, SIDES

SERVQUAL_COLUMNS = ("partner_id", "answer_date", "dimension", "side", "value")
#: Columns returned by :func:`compute_servqual`.
GAP_COLUMNS = tuple(f"gap_{name}" for name in DIMENSIONS) + (
    "gap_overall",
    "weakest_dimension",
)


def compute_servqual(table, answers, clock, config):
    """Gaps per dimension, overall gap and weakest dimension of each account.

    Answers after today or older than ``satisfaction_max_age_days`` are
    ignored. A dimension needs answers on both sides to have a gap; an
    account with no measurable dimension has no overall gap and no weakest
    dimension.
    """
    size = len(table.ids)
    gaps = np.full((size, len(DIMENSIONS)), np.nan)
    frame, positions = _input_rows(table, answers, SERVQUAL_COLUMNS, "SERVQUAL answers")
    if frame is not None:
        age = clock.today - _day_numbers(_timestamps(frame["answer_date"]))
        dimension = pd.Index(DIMENSIONS).get_indexer(frame["dimension"])
        side = pd.Index(SIDES).get_indexer(frame["side"])
        value = _numbers(frame["value"])
        used = (
            (positions >= 0)
            & (dimension >= 0)
            & (side >= 0)
            & ~np.isnan(value)
            & (age >= 0)
            & (age <= config.satisfaction_max_age_days)
        )
        cells = (positions[used] * len(DIMENSIONS) + dimension[used]) * len(
            SIDES
        ) + side[used]
        length = size * len(DIMENSIONS) * len(SIDES)
        sums = np.bincount(cells, weights=value[used], minlength=length)
        counts = np.bincount(cells, minlength=length)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (sums / counts).reshape(size, len(DIMENSIONS), len(SIDES))
        gaps = means[:, :, 1] - means[:, :, 0]

    measured = ~np.isnan(gaps)
    any_measured = measured.any(axis=1)
    with np.errstate(invalid="ignore"):
        overall = np.where(
            any_measured,
            np.nansum(gaps, axis=1) / np.maximum(measured.sum(axis=1), 1),
            np.nan,
        )
    weakest_index = np.argmin(np.where(measured, gaps, np.inf), axis=1)
    weakest = np.where(
        any_measured, np.array(DIMENSIONS, dtype=object)[weakest_index], None
    )
    result = {f"gap_{name}": gaps[:, index] for index, name in enumerate(DIMENSIONS)}
    result["gap_overall"] = overall
    result["weakest_dimension"] = weakest
    return result
