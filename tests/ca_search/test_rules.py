import numpy as np
import pytest

from ca_search import rules
from runio.errors import ConfigError


def test_gkl_from_definition_prints_published_hex():
    assert rules.to_hex(rules.gkl()) == "005f005f005f005f005fff5f005fff5f"


def test_hex_roundtrip_random_tables_all_radii():
    rng = np.random.default_rng(0)
    for r in range(1, 5):
        bits = rng.integers(0, 2, 2 ** (2 * r + 1)).astype(np.uint8)
        assert np.array_equal(rules.from_hex(rules.to_hex(bits)), bits)
        assert np.array_equal(rules.from_hex(rules.to_hex(bits), radius=r), bits)


def test_hex_leftmost_bit_is_neighbourhood_zero():
    bits = np.zeros(128, np.uint8)
    bits[0] = 1
    assert rules.to_hex(bits) == "8" + "0" * 31
    bits[:] = 0
    bits[127] = 1  # neighbourhood 1111111
    assert rules.to_hex(bits) == "0" * 31 + "1"


@pytest.mark.parametrize("number", [30, 90, 110, 184])
def test_wolfram_numbers_match_definition(number):
    # Rule 30: new = left XOR (centre OR right); 90: left XOR right; 184: traffic rule.
    definitions = {
        30: lambda s: s[..., 0] ^ (s[..., 1] | s[..., 2]),
        90: lambda s: s[..., 0] ^ s[..., 2],
        110: lambda s: ((s[..., 1] | s[..., 2]) & ~(s[..., 0] & s[..., 1] & s[..., 2])) & 1,
        184: lambda s: np.where(s[..., 1] == 1, s[..., 2], s[..., 0]),
    }
    bits = rules.from_function(definitions[number], 1)
    assert np.array_equal(rules.from_wolfram(number), bits)
    assert rules.to_wolfram(bits) == number


def test_wolfram_30_hex():
    # 30 = 0b00011110: entries 1..4 set, so the lexicographic bits are 0111 1000.
    assert rules.to_hex(rules.from_wolfram(30)) == "78"


def test_majority_table():
    maj = rules.majority(3)
    weights = rules.neighbourhoods(3).sum(1)
    assert np.array_equal(maj, (weights >= 4).astype(np.uint8))
    assert maj.sum() == 64  # symmetric: half of the neighbourhoods have a majority of ones


def test_parse_names_and_forms():
    assert np.array_equal(rules.parse("GKL"), rules.gkl())
    assert np.array_equal(rules.parse("w110"), rules.from_wolfram(110))
    assert np.array_equal(rules.parse("0x" + rules.to_hex(rules.gkl())), rules.gkl())


@pytest.mark.parametrize(
    "text, radius, fragment",
    [
        ("005g", None, "0-9a-f"),
        ("005f005f", 3, "needs 32 digits"),
        ("abc", None, "digits"),
        ("", None, "0-9a-f"),
    ],
)
def test_bad_hex_is_refused(text, radius, fragment):
    with pytest.raises(ConfigError, match=fragment):
        rules.from_hex(text, radius)


@pytest.mark.parametrize("radius", [0, 5, -1])
def test_bad_radius_is_refused(radius):
    with pytest.raises(ConfigError, match="1..4"):
        rules.table_size(radius)
