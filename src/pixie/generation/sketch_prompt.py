"""What the sketch renderer understands of a prompt: the things it names, their colours and counts,
the colours and moods of the whole scene, and the words the negative prompt rules out.

Matching is on whole words, plurals included ("mountains", "skies", "leaves"); a colour word just
before a thing ("a red sun over blue mountains") colours that thing, other colours tint the scene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "red": (214, 40, 40),
    "crimson": (190, 20, 50),
    "scarlet": (235, 35, 25),
    "maroon": (120, 20, 35),
    "burgundy": (128, 0, 40),
    "ruby": (200, 16, 60),
    "orange": (245, 130, 30),
    "amber": (255, 175, 20),
    "tangerine": (250, 120, 20),
    "peach": (255, 190, 150),
    "coral": (255, 120, 90),
    "salmon": (250, 128, 114),
    "rust": (183, 65, 14),
    "copper": (184, 115, 51),
    "bronze": (175, 120, 50),
    "yellow": (250, 215, 40),
    "lemon": (255, 240, 80),
    "gold": (235, 180, 40),
    "golden": (240, 180, 50),
    "ochre": (204, 140, 40),
    "green": (60, 170, 75),
    "emerald": (20, 150, 90),
    "lime": (150, 215, 50),
    "olive": (120, 130, 50),
    "mint": (150, 230, 190),
    "jade": (0, 160, 110),
    "teal": (0, 128, 128),
    "turquoise": (40, 200, 190),
    "aqua": (60, 210, 220),
    "cyan": (0, 200, 230),
    "blue": (40, 90, 210),
    "azure": (40, 140, 240),
    "sapphire": (20, 60, 160),
    "cobalt": (0, 70, 170),
    "navy": (20, 30, 90),
    "indigo": (75, 40, 150),
    "purple": (130, 50, 170),
    "violet": (140, 80, 210),
    "lavender": (190, 160, 230),
    "lilac": (200, 160, 220),
    "plum": (140, 60, 110),
    "magenta": (220, 30, 150),
    "fuchsia": (240, 40, 170),
    "pink": (245, 130, 180),
    "mauve": (190, 130, 170),
    "brown": (130, 80, 40),
    "chocolate": (100, 55, 25),
    "tan": (210, 180, 140),
    "beige": (230, 215, 185),
    "cream": (250, 240, 210),
    "ivory": (250, 248, 230),
    "white": (245, 245, 245),
    "silver": (190, 195, 205),
    "grey": (128, 128, 135),
    "gray": (128, 128, 135),
    "charcoal": (55, 60, 65),
    "black": (25, 25, 30),
    "sepia": (150, 110, 70),
}

# Words that set the light and mood of the whole scene.
MOODS: dict[str, str] = {
    "sunset": "sunset",
    "sunrise": "sunset",
    "dusk": "sunset",
    "dawn": "sunset",
    "twilight": "sunset",
    "evening": "sunset",
    "night": "night",
    "nighttime": "night",
    "midnight": "night",
    "nocturnal": "night",
    "dark": "gloomy",
    "day": "day",
    "daytime": "day",
    "noon": "day",
    "morning": "day",
    "sunny": "day",
    "autumn": "autumn",
    "fall": "autumn",
    "autumnal": "autumn",
    "winter": "winter",
    "wintry": "winter",
    "snowy": "winter",
    "icy": "winter",
    "frozen": "winter",
    "spring": "spring",
    "summer": "summer",
    "tropical": "tropical",
    "space": "space",
    "cosmic": "space",
    "galaxy": "space",
    "nebula": "space",
    "universe": "space",
    "underwater": "underwater",
    "undersea": "underwater",
    "foggy": "misty",
    "fog": "misty",
    "misty": "misty",
    "mist": "misty",
    "haze": "misty",
    "hazy": "misty",
    "pastel": "pastel",
    "soft": "pastel",
    "dreamy": "pastel",
    "vibrant": "vivid",
    "vivid": "vivid",
    "bright": "vivid",
    "colorful": "vivid",
    "colourful": "vivid",
    "gloomy": "gloomy",
    "moody": "gloomy",
    "stormy": "gloomy",
    "storm": "gloomy",
    "thunderstorm": "gloomy",
    "rainy": "gloomy",
}

# word -> concept. Exact words are tried before their singular forms, so "stars" (a starry sky)
# and "star" (one five-pointed star) stay apart.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sun": ("sun", "sunshine", "sunlight"),
    "moon": ("moon", "crescent", "moonlight", "moonlit"),
    "stars": ("stars", "starry", "starlight", "starlit", "constellation", "milky"),
    "star": ("star",),
    "cloud": ("cloud", "cloudy", "overcast"),
    "rain": ("rain", "rainy", "raindrop", "drizzle", "storm", "downpour"),
    "snow": ("snow", "snowfall", "snowflake", "blizzard", "snowing"),
    "rainbow": ("rainbow",),
    "lightning": ("lightning", "thunder", "bolt", "thunderstorm"),
    "aurora": ("aurora", "borealis", "aurorae"),
    "bird": ("bird", "seagull", "gull", "crow", "swallow", "flock", "dove", "eagle"),
    "balloon": ("balloon",),
    "planet": ("planet", "saturn", "jupiter", "mars"),
    "mountain": ("mountain", "peak", "alps", "summit", "volcano", "cliff"),
    "hill": ("hill", "valley", "countryside", "landscape"),
    "sea": ("sea", "ocean", "water", "lake", "river", "wave", "pond", "bay", "coast", "seaside", "shore"),
    "beach": ("beach", "sand", "sandy", "island"),
    "desert": ("desert", "dune", "sahara"),
    "field": ("field", "meadow", "grass", "grassy", "prairie", "lawn", "garden", "farm", "park"),
    "tree": ("tree", "oak", "maple", "willow", "birch", "woodland"),
    "forest": ("forest", "woods", "pine", "fir", "jungle", "grove", "spruce"),
    "palm": ("palm",),
    "house": ("house", "home", "cottage", "cabin", "hut", "village", "barn", "farmhouse"),
    "city": ("city", "skyline", "building", "skyscraper", "town", "downtown", "metropolis", "street"),
    "castle": ("castle", "palace", "fortress", "kingdom"),
    "lighthouse": ("lighthouse",),
    "boat": ("boat", "ship", "sailboat", "yacht", "sail", "sailing", "canoe", "ferry"),
    "flower": (
        "flower",
        "rose",
        "tulip",
        "daisy",
        "sunflower",
        "blossom",
        "bloom",
        "petal",
        "poppy",
        "lily",
        "floral",
        "bouquet",
        "orchid",
    ),
    "cat": ("cat", "kitten", "kitty", "feline"),
    "dog": ("dog", "puppy", "pup", "doggo", "hound", "canine"),
    "fish": ("fish", "goldfish", "koi"),
    "butterfly": ("butterfly", "moth"),
    "heart": ("heart", "love", "valentine"),
    "circle": ("circle", "orb", "sphere", "ball", "dot", "disc", "disk"),
    "square": ("square", "box", "cube", "block"),
    "triangle": ("triangle", "pyramid"),
    "diamond": ("diamond", "gem", "crystal", "jewel", "gemstone"),
    "hexagon": ("hexagon", "honeycomb"),
    "spiral": ("spiral", "swirl", "vortex", "whirlpool"),
    "robot": ("robot", "android", "cyborg", "droid", "mech"),
    "rocket": ("rocket", "spaceship", "spacecraft"),
    "mushroom": ("mushroom", "toadstool", "fungus"),
    "apple": ("apple", "fruit"),
    "umbrella": ("umbrella", "parasol"),
    "crown": ("crown", "tiara"),
    "flame": ("fire", "flame", "campfire", "candle", "bonfire", "torch"),
    "leaf": ("leaf", "foliage"),
    "bubble": ("bubble", "bubbly"),
    "person": (
        "person",
        "people",
        "man",
        "woman",
        "girl",
        "boy",
        "child",
        "kid",
        "figure",
        "wizard",
        "astronaut",
        "traveler",
        "traveller",
        "wanderer",
        "knight",
        "princess",
        "king",
        "queen",
        "friend",
        "lady",
        "gentleman",
        "human",
    ),
}
CONCEPTS: dict[str, str] = {word: concept for concept, words in _SYNONYMS.items() for word in words}
# A few irregular plurals the suffix rules below miss.
_IRREGULAR = {"leaves": "leaf", "women": "woman", "men": "man", "children": "child", "people": "people"}

NUMBERS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "lone": 1,
    "two": 2,
    "pair": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "many": 0,
    "several": 0,
    "some": 0,
    "lots": 0,
    "countless": 0,
    "few": 0,
}
MAX_COUNT = 9

# Negative-prompt words that take the caption away.
CAPTION_WORDS = frozenset(
    {"text", "caption", "captions", "words", "letters", "lettering", "writing", "label"}
)

_WORD = re.compile(r"[a-z]+")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _forms(word: str) -> list[str]:
    """The word, then the singulars it may be the plural of."""
    forms = [word]
    if word in _IRREGULAR:
        forms.append(_IRREGULAR[word])
    if len(word) > 3 and word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("ves"):
        forms += [word[:-3] + "f", word[:-3] + "fe"]
    if len(word) > 3 and word.endswith("es"):
        forms.append(word[:-2])
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    return forms


def lookup(word: str, table: dict[str, str]) -> tuple[str, bool] | None:
    """The entry a word (or its singular) names in ``table``, and whether it was a plural."""
    for index, form in enumerate(_forms(word)):
        if form in table:
            return table[form], index > 0 or word in ("people", "children")
    return None


@dataclass(frozen=True)
class Thing:
    concept: str
    count: int  # how many to draw; 0: "several", chosen by the seed
    colour: RGB | None  # the colour named just before it, if any


@dataclass(frozen=True)
class Reading:
    things: tuple[Thing, ...]  # in the order the prompt names them, one entry per concept
    colours: tuple[RGB, ...]  # colours not tied to a thing: they tint the scene
    bound_colours: tuple[RGB, ...]  # colours tied to things, as a hint for the scene too
    moods: frozenset[str]
    words: tuple[str, ...]  # every word of the prompt, lower-cased
    caption: bool  # False when the negative prompt rules out text
    excluded: frozenset[str] = frozenset()  # concepts the negative prompt names

    def has(self, *concepts: str) -> bool:
        return any(thing.concept in concepts for thing in self.things)

    def allows(self, concept: str) -> bool:
        """Whether the renderer may add ``concept`` on its own (a desert's sun, a storm's clouds)."""
        return concept not in self.excluded

    def thing(self, concept: str) -> Thing | None:
        for thing in self.things:
            if thing.concept == concept:
                return thing
        return None


def read_prompt(prompt: str, negative_prompt: str = "") -> Reading:
    """What the renderer will draw for ``prompt``, without what ``negative_prompt`` names."""
    banned_concepts: set[str] = set()
    banned_colours: set[RGB] = set()
    banned_moods: set[str] = set()
    negative_words = words_of(negative_prompt)
    for word in negative_words:
        if (hit := lookup(word, CONCEPTS)) is not None:
            banned_concepts.add(hit[0])
        if word in COLOURS:
            banned_colours.add(COLOURS[word])
        if word in MOODS:
            banned_moods.add(MOODS[word])

    words = words_of(prompt)
    things: dict[str, Thing] = {}
    free_colours: list[RGB] = []
    bound: list[RGB] = []
    moods: set[str] = set()
    pending_colours: list[tuple[int, RGB]] = []  # (word index, colour) awaiting a thing
    pending_count: tuple[int, int] | None = None  # (word index, count)
    for index, word in enumerate(words):
        if word in COLOURS and word not in CONCEPTS:
            if COLOURS[word] not in banned_colours:
                pending_colours.append((index, COLOURS[word]))
            continue
        if word in NUMBERS:
            pending_count = (index, NUMBERS[word])
            continue
        if word in MOODS and MOODS[word] not in banned_moods:
            moods.add(MOODS[word])
        hit = lookup(word, CONCEPTS)
        if hit is None:
            continue
        concept, plural = hit
        previous = lookup(words[index - 1], CONCEPTS) if index > 0 else None
        if concept == "tree" and previous is not None and previous[0] in ("palm", "forest"):
            # "palm trees", "pine trees": the tree is the one just named, and the plural counts for it.
            named = things.get(previous[0])
            counted = index > 1 and words[index - 2] in NUMBERS and words[index - 2] not in ("a", "an")
            if named is not None and plural and not counted:
                things[previous[0]] = Thing(named.concept, 0, named.colour)
            continue
        # A colour or a number counts for the thing right after it ("two red balloons"), not for one
        # named further on ("a red hat and a cat").
        near = [colour for at, colour in pending_colours if index - at <= 2]
        far = [colour for at, colour in pending_colours if index - at > 2]
        free_colours += far
        pending_colours = []
        count = 0 if plural else 1
        if pending_count is not None and index - pending_count[0] <= 3:
            count = pending_count[1] if pending_count[1] != 1 or not plural else 0
        pending_count = None
        if concept in banned_concepts:
            continue
        colour = near[0] if near else None
        free_colours += near[1:]
        if colour is not None:
            bound.append(colour)
        if concept in things:
            earlier = things[concept]
            colour = earlier.colour or colour
            count = max(earlier.count, count) if min(earlier.count, count) > 0 else 0
        things[concept] = Thing(concept, min(count, MAX_COUNT), colour)
    free_colours += [colour for _, colour in pending_colours]
    caption = not any(word in CAPTION_WORDS for word in negative_words)
    return Reading(
        things=tuple(things.values()),
        colours=tuple(free_colours),
        bound_colours=tuple(bound),
        moods=frozenset(moods),
        words=tuple(words),
        caption=caption,
        excluded=frozenset(banned_concepts),
    )
