from __future__ import annotations

import numpy as np
import pytest

from faq.match_arrays import gather

# Rows of items: row 0 holds items 0-2, row 1 none, row 2 items 3-4, row 3 item 5.
PTR = np.array([0, 3, 3, 5, 6])


@pytest.mark.parametrize(
    ("rows", "positions", "which"),
    [
        ([2], [3, 4], [0, 0]),
        ([1], [], []),
        ([0], [0, 1, 2], [0, 0, 0]),
        ([3, 0], [5, 0, 1, 2], [0, 1, 1, 1]),
        ([2, 1, 2], [3, 4, 3, 4], [0, 0, 2, 2]),
        ([], [], []),
    ],
)
def test_gather_lists_the_items_of_each_row_in_order(
    rows: list[int], positions: list[int], which: list[int]
) -> None:
    found, owners = gather(PTR, np.array(rows, dtype=np.int64))
    assert found.tolist() == positions
    assert owners.tolist() == which
    assert found.dtype == owners.dtype == np.int64
