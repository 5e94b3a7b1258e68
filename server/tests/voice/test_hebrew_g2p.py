"""The Hebrew G2P corrections on top of piper's rules (server/providers/tts/hebrew_g2p.py).

Words are given with hand-written niqqud, so these tests do not depend on Nakdimon.
"""
import pytest

from server.providers.tts.hebrew_g2p import fix_word, ipa_to_espeak, penult_stress, place_stress


def test_ipa_becomes_espeak_hebrew_phonemes():
    assert ipa_to_espeak("ʃaˈlom χaˈʁa") == "Sa'lom Xa'ra"


@pytest.mark.parametrize("word", ["מָתַי", "אַתֶּם", "אֶפְשָׁר", "שָׁלוֹם", "דִּבֵּר", "אֶתְכֶם", "תּוֹדָה", "רוֹצֶה"])
def test_ultimate_stress_is_the_default(word):
    assert not penult_stress(word)


@pytest.mark.parametrize("word", [
    "מֶלֶךְ", "בֹּקֶר", "הָעֶרֶב", "מְדַבֶּרֶת",  # segholates, -eret
    "נַעַר",  # patah-patah with a guttural
    "בַּיִת", "שְׁנַיִם",  # -ájit / -ájim
    "שָׁלַחְנוּ", "שֶׁלָּנוּ",  # -nu
    "שָׁלַחְתִּי", "הִזְמַנְתָּ",  # past -ti / -ta after a closed syllable
])
def test_penultimate_stress_where_modern_hebrew_puts_it(word):
    assert penult_stress(word)


def test_adjectival_ti_after_an_open_syllable_keeps_ultimate_stress():
    assert not penult_stress("אֲמִתִּי")


def test_place_stress_moves_the_mark_to_the_right_vowel():
    assert place_stress("m'ataj", penult=False) == "mat'aj"
    assert place_stress("mel'eX", penult=True) == "m'eleX"
    assert place_stress("l'o", penult=True) == "l'o"  # one syllable: nothing to move


def test_two_syllable_words_ending_in_a_consonant_are_no_longer_all_penult():
    # piper: מָתַי → m'ataj, אַתֶּם → 'atem
    assert fix_word("מָתַי", "m'ataj") == "mat'aj"
    assert fix_word("אַתֶּם", "'atem") == "at'em"
    assert fix_word("מֶלֶךְ", "m'eleX") == "m'eleX"


def test_furtive_patah_comes_before_the_final_guttural():
    assert fix_word("מִשְׁלוֹחַ", "miSloX'a") == "miSl'oaX"
    assert fix_word("לִקְבּוֹעַ", "likbo'a") == "likb'oa"


def test_doubled_consonants_are_said_once():
    assert fix_word("אֵלַיי", "'elajj") == "el'aj"


def test_piper_phonemes_get_the_corrections_end_to_end():
    pytest.importorskip("piper.hebrew.hebrew_ipa")
    from server.providers.tts.hebrew_g2p import word_phonemes
    assert word_phonemes("מָתַי") == "mat'aj"
    assert word_phonemes("רוֹצֶה") == "rots'e"
    assert word_phonemes("הַמִּשְׁלוֹחַ") == "hamiSl'oaX"
