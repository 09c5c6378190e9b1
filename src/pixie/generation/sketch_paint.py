"""The sketch renderer's painting: a palette from the prompt's colours and moods, a sky or backdrop,
then every thing the prompt names, drawn with Pillow in the style's manner.

Everything is placed in fractions of the picture, so one scene renders at any size. Each thing
draws from its own random stream (seed + prompt + thing), so a negative prompt that removes one
thing leaves the others where they were.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from pixie.generation.sketch_prompt import RGB, Reading, Thing
from pixie.generation.styles import SketchHints

Point = tuple[float, float]
Box = tuple[float, float, float, float]
FloatArray = npt.NDArray[np.float32]

WHITE: RGB = (250, 250, 250)
INK: RGB = (28, 28, 34)
PAPER: RGB = (250, 247, 240)

# Things that make a landscape (a horizon with sky above); anything else is drawn on a backdrop.
LANDSCAPE = frozenset(
    {
        "mountain",
        "hill",
        "sea",
        "beach",
        "desert",
        "field",
        "tree",
        "forest",
        "palm",
        "house",
        "city",
        "castle",
        "lighthouse",
        "boat",
    }
)
SKY = frozenset({"sun", "moon", "stars", "cloud", "rain", "snow", "rainbow", "lightning", "aurora", "bird"})
STANDING = frozenset({"cat", "dog", "person", "flower", "mushroom", "robot", "flame", "umbrella"})
WEATHER = frozenset({"rain", "snow", "leaf", "bubble"})

# Pleasant four-colour sets for scenes whose prompt names no colour; the seed picks one.
DEFAULT_ACCENTS: tuple[tuple[RGB, ...], ...] = (
    ((233, 79, 55), (246, 189, 96), (68, 187, 164), (63, 136, 197)),
    ((242, 132, 130), (132, 165, 157), (246, 189, 96), (245, 202, 195)),
    ((255, 107, 107), (78, 205, 196), (255, 230, 109), (26, 83, 92)),
    ((188, 108, 37), (221, 161, 94), (96, 108, 56), (40, 54, 24)),
    ((131, 56, 236), (58, 134, 255), (255, 0, 110), (251, 86, 7)),
    ((0, 95, 115), (10, 147, 150), (238, 155, 0), (202, 103, 2)),
)
CAT_COATS: tuple[RGB, ...] = ((232, 142, 62), (128, 128, 138), (44, 42, 48), (240, 226, 200), (150, 100, 60))
DOG_COATS: tuple[RGB, ...] = ((196, 140, 80), (240, 220, 180), (90, 60, 40), (60, 55, 55), (225, 180, 110))
SKIN: tuple[RGB, ...] = ((250, 214, 180), (224, 172, 125), (176, 118, 78), (120, 80, 55))


# --- colour ---------------------------------------------------------------------------------------


def _hls(colour: RGB) -> tuple[float, float, float]:
    return colorsys.rgb_to_hls(colour[0] / 255, colour[1] / 255, colour[2] / 255)


def _rgb(h: float, light: float, sat: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, min(1.0, max(0.0, light)), min(1.0, max(0.0, sat)))
    return round(r * 255), round(g * 255), round(b * 255)


def with_light(colour: RGB, light: float) -> RGB:
    h, _, s = _hls(colour)
    return _rgb(h, light, s)


def shift(colour: RGB, light: float = 0.0, sat: float = 1.0, hue: float = 0.0) -> RGB:
    h, lum, s = _hls(colour)
    return _rgb(h + hue, lum + light, s * sat)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def lightness(colour: RGB) -> float:
    return _hls(colour)[1]


@dataclass
class Palette:
    light: str  # "day", "sunset" or "night"
    sky_top: RGB
    sky_bottom: RGB
    ground_top: RGB
    ground_bottom: RGB
    accents: list[RGB]
    tint: RGB | None  # the prompt's own colour, leaning natural things towards it
    moods: frozenset[str]


_SKIES: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    # sky top, sky at the horizon, ground near, ground far
    "day": ((70, 132, 212), (196, 224, 247), (132, 182, 98), (70, 128, 66)),
    "sunset": ((54, 46, 108), (252, 158, 92), (104, 70, 84), (46, 30, 50)),
    "night": ((8, 12, 36), (40, 50, 102), (28, 40, 54), (12, 18, 28)),
}


def _palette(reading: Reading, rng: np.random.Generator) -> Palette:
    moods = reading.moods
    if moods & {"night", "space"}:
        light = "night"
    elif "sunset" in moods:
        light = "sunset"
    elif "day" in moods:
        light = "day"
    elif reading.has("moon", "stars", "aurora") and not reading.has("sun"):
        light = "night"
    else:
        light = "day"
    top, bottom, ground_top, ground_bottom = _SKIES[light]
    accents = list(DEFAULT_ACCENTS[int(rng.integers(len(DEFAULT_ACCENTS)))])

    if "autumn" in moods:
        ground_top, ground_bottom = (
            mix(ground_top, (190, 126, 60), 0.7),
            mix(ground_bottom, (120, 70, 40), 0.7),
        )
        accents = [(214, 96, 40), (240, 170, 60), (170, 60, 40), (120, 80, 40)]
    if "winter" in moods:
        if light != "night":
            top, bottom = mix(top, (220, 230, 245), 0.3), mix(bottom, WHITE, 0.4)
        ground_top, ground_bottom = (236, 241, 248), (196, 210, 230)
        accents = [(120, 160, 210), (200, 220, 240), (90, 110, 150), (230, 90, 90)]
    if "spring" in moods:
        ground_top, ground_bottom = (150, 206, 110), (92, 160, 80)
        accents = [(245, 160, 190), (250, 220, 120), (190, 160, 230), (140, 210, 160)]
    if "summer" in moods:
        top, bottom = (30, 120, 220), (160, 215, 250)
        accents = [(250, 200, 40), (240, 100, 60), (40, 180, 170), (250, 130, 150)]
    if "tropical" in moods:
        top, bottom = (20, 150, 210), (150, 230, 240)
        accents = [(255, 120, 80), (250, 210, 60), (30, 190, 150), (240, 80, 130)]
    if "desert" in moods or reading.has("desert"):
        ground_top, ground_bottom = (236, 196, 130), (200, 150, 90)
    if "space" in moods:
        top, bottom = (6, 4, 20), (40, 20, 70)
        accents = [(140, 80, 220), (60, 160, 240), (240, 90, 170), (250, 210, 120)]
    if "underwater" in moods:
        top, bottom = (90, 200, 220), (10, 50, 110)
        ground_top, ground_bottom = (224, 200, 150), (190, 160, 110)
    if "gloomy" in moods:
        top, bottom = mix(top, (70, 74, 84), 0.6), mix(bottom, (140, 144, 150), 0.6)
        ground_top, ground_bottom = shift(ground_top, -0.08, 0.5), shift(ground_bottom, -0.08, 0.5)

    # The prompt's own colours lead: colours tied to no thing tint the whole scene, colours tied to
    # things only lean it a little (a red sun should not turn the sky red).
    tint: RGB | None = None
    if reading.colours:
        weight, named = 0.6, list(reading.colours)
    elif reading.bound_colours:
        weight, named = 0.25, list(reading.bound_colours)
    else:
        weight, named = 0.0, []
    if named:
        tint = named[0]
        first, last = named[0], named[-1]
        if reading.colours:  # colours tied to things leave the upper sky alone
            top = mix(top, with_light(last, min(lightness(top) + 0.1, 0.45)), weight)
        bottom = mix(bottom, with_light(first, max(lightness(bottom), 0.7)), weight)
        ground_top = mix(ground_top, with_light(first, lightness(ground_top)), weight * 0.6)
        ground_bottom = mix(ground_bottom, with_light(first, lightness(ground_bottom)), weight * 0.6)
        # The prompt's colours and their neighbours lead; one stock colour stays for contrast.
        own = list(dict.fromkeys(named))
        shades = [shift(c, dl, 1.0, dh) for c in own for dl, dh in ((0.12, 0.03), (-0.1, -0.03), (0.2, 0.0))]
        accents = [*own, *shades][:4] + accents[:1]

    if "misty" in moods:
        haze = mix(bottom, (225, 228, 232), 0.5)
        top, bottom = mix(top, haze, 0.5), mix(bottom, haze, 0.5)
        ground_top, ground_bottom = mix(ground_top, haze, 0.35), mix(ground_bottom, haze, 0.2)
    if "pastel" in moods:
        top, bottom, ground_top, ground_bottom = (
            shift(c, 0.1, 0.7) for c in (top, bottom, ground_top, ground_bottom)
        )
        accents = [shift(c, 0.12, 0.75) for c in accents]
    if "vivid" in moods:
        top, bottom = shift(top, 0.0, 1.3), shift(bottom, 0.0, 1.3)
        accents = [shift(c, 0.0, 1.35) for c in accents]

    # Each seed turns the whole palette a little, so candidates differ in colour too.
    hue = float(rng.uniform(-0.03, 0.03))
    turn: Callable[[RGB], RGB] = lambda c: shift(c, float(rng.uniform(-0.03, 0.03)), 1.0, hue)  # noqa: E731
    return Palette(
        light=light,
        sky_top=turn(top),
        sky_bottom=turn(bottom),
        ground_top=turn(ground_top),
        ground_bottom=turn(ground_bottom),
        accents=[turn(c) for c in accents],
        tint=tint,
        moods=moods,
    )


# --- geometry ---------------------------------------------------------------------------------------


def ellipse_points(
    cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 28
) -> list[Point]:
    ca, sa = math.cos(angle), math.sin(angle)
    points = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return points


def star_points(
    cx: float, cy: float, outer: float, inner: float, n: int = 5, angle: float = 0.0
) -> list[Point]:
    points = []
    for i in range(2 * n):
        r = outer if i % 2 == 0 else inner
        t = angle - math.pi / 2 + math.pi * i / n
        points.append((cx + r * math.cos(t), cy + r * math.sin(t)))
    return points


def heart_points(cx: float, cy: float, size: float, n: int = 48) -> list[Point]:
    points = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((cx + x * size / 34, cy - y * size / 34 - size * 0.05))
    return points


def _bezier(points: Sequence[Point], n: int) -> list[Point]:
    """A cubic Bézier curve through four control points, as n+1 points."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return out


def rotate(points: Sequence[Point], cx: float, cy: float, angle: float) -> list[Point]:
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + (x - cx) * ca - (y - cy) * sa, cy + (x - cx) * sa + (y - cy) * ca) for x, y in points]


def _bounds(points: Sequence[Point]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def ridge(rng: np.random.Generator, n: int, roughness: float) -> npt.NDArray[np.float64]:
    """A mountain ridge by midpoint displacement: n+1 heights in 0..1 (n a power of two)."""
    heights = np.zeros(n + 1)
    heights[0], heights[n] = rng.uniform(0.2, 0.7, 2)
    step, scale = n, 0.6
    while step > 1:
        half = step // 2
        mids = (heights[0:n:step] + heights[step : n + 1 : step]) / 2
        heights[half:n:step] = mids + rng.uniform(-scale, scale, mids.shape)
        step, scale = half, scale * roughness
    low, high = heights.min(), heights.max()
    result: npt.NDArray[np.float64] = (heights - low) / max(high - low, 1e-6)
    return result


# --- the canvas and its pen -----------------------------------------------------------------------------


class Canvas:
    """The picture being painted and the style's way of drawing a shape."""

    def __init__(self, image: Image.Image, hints: SketchHints) -> None:
        self.image = image
        self.w, self.h = image.size
        self.u = min(self.w, self.h) / 1024  # one pixel at 1024 px
        self.hints = hints
        self.mode = hints.rendering
        self._solid = ImageDraw.Draw(image)
        self._blend = ImageDraw.Draw(image, "RGBA")

    def tone(self, colour: RGB) -> RGB:
        hints = self.hints
        if hints.saturation == 1.0 and hints.lightness == 0.0:
            return colour
        return shift(colour, hints.lightness, hints.saturation)

    def _draw(self, alpha: int) -> ImageDraw.ImageDraw:
        return self._solid if alpha >= 255 else self._blend

    def _paint(
        self, kind: str, points: list[Point], fill: RGB | None, outline: RGB | None, width: int, alpha: int
    ) -> None:
        draw = self._draw(alpha)
        fill_c = None if fill is None else (*fill, alpha)
        line_c = None if outline is None else (*outline, alpha)
        if kind == "polygon":
            draw.polygon(points, fill=fill_c, outline=line_c, width=width)
        elif kind == "ellipse":
            draw.ellipse(points, fill=fill_c, outline=line_c, width=width)
        else:
            draw.rectangle(points, fill=fill_c, outline=line_c, width=width)

    def shape(
        self, kind: str, geometry: Sequence[Point] | Box, colour: RGB, alpha: int = 255, *, flat: bool = False
    ) -> None:
        """One filled shape (``polygon`` points, ``ellipse`` or ``rect`` box) in the style's manner;
        ``flat`` shapes (skies, water, far layers) get no outline or highlight."""
        colour = self.tone(colour)
        mode = self.mode
        points = _points(geometry)
        if kind == "polygon" and len(points) < 3:
            return
        if mode == "outline":
            # Flat shapes (hills, water, clouds) get a finer line than the things on them.
            width = max(1, round((2 if flat else 3) * self.u))
            self._paint(kind, points, PAPER, INK, width, 255)
            return
        if mode == "glow":
            bright = _rgb(_hls(colour)[0], max(0.55, lightness(colour)), 1.0)
            dark = with_light(colour, 0.07)
            self._paint(kind, points, dark, bright, max(2, round(4 * self.u)), 255)
            return
        if mode == "soft":
            # A wash: a translucent layer, and a second one a little off, like pigment pooling.
            self._paint(kind, points, colour, None, 0, min(alpha, 215))
            moved = _scaled(points, 1.0, 3 * self.u, -3 * self.u)
            self._paint(kind, moved, shift(colour, -0.06), None, 0, min(alpha, 90))
            return
        if mode == "cel" and not flat:
            self._paint(kind, points, colour, shift(colour, -0.35, 0.8), max(2, round(3 * self.u)), alpha)
            return
        self._paint(kind, points, colour, None, 0, alpha)
        if mode == "shaded" and not flat:
            # A highlight up and to the left and a shade along the lower edge give the shape volume.
            x0, y0, x1, y1 = _bounds(points)
            size = max(x1 - x0, y1 - y0)
            self._paint(kind, _scaled(points, 0.98, 0.0, size * 0.04), shift(colour, -0.18), None, 0, 70)
            highlight = _scaled(points, 0.55, -size * 0.1, -size * 0.12)
            self._paint(kind, highlight, shift(colour, 0.16, 0.9), None, 0, 80)

    def detail(self, kind: str, geometry: Sequence[Point] | Box, colour: RGB, alpha: int = 255) -> None:
        """Small features (eyes, windows): filled in every style, ink in line art."""
        colour = self.tone(colour)
        if self.mode == "outline":
            colour = INK if lightness(colour) < 0.6 else PAPER
            self._paint(kind, _points(geometry), colour, INK, max(1, round(2 * self.u)), 255)
            return
        if self.mode == "glow":
            colour = _rgb(_hls(colour)[0], max(0.6, lightness(colour)), 1.0)
        self._paint(kind, _points(geometry), colour, None, 0, alpha)

    def line(self, points: Sequence[Point], colour: RGB, width: float, alpha: int = 255) -> None:
        colour = self.tone(colour)
        if self.mode == "outline":
            colour = INK
            rim = 3 * self.u
            if width > 4 * rim:
                # A limb or a tail: drawn as its outline, like the shapes around it.
                self._solid.line(list(points), fill=INK, width=round(width), joint="curve")
                self._solid.line(list(points), fill=PAPER, width=round(width - 2 * rim), joint="curve")
                return
        elif self.mode == "glow":
            colour = _rgb(_hls(colour)[0], max(0.6, lightness(colour)), 1.0)
        self._draw(alpha).line(list(points), fill=(*colour, alpha), width=max(1, round(width)), joint="curve")

    def crescent(self, cx: float, cy: float, r: float, colour: RGB, offset: Point) -> None:
        """A disc less the part an offset disc covers, painted through a mask."""
        colour = self.tone(colour)
        if self.mode == "glow":
            colour = _rgb(_hls(colour)[0], max(0.6, lightness(colour)), 1.0)
        x0, y0 = math.floor(cx - r) - 1, math.floor(cy - r) - 1
        size = (math.ceil(2 * r) + 3, math.ceil(2 * r) + 3)
        mask = Image.new("L", size, 0)
        draw = ImageDraw.Draw(mask)
        draw.ellipse((cx - r - x0, cy - r - y0, cx + r - x0, cy + r - y0), fill=255)
        ox, oy = offset[0] * r, offset[1] * r
        draw.ellipse((cx - r + ox - x0, cy - r + oy - y0, cx + r + ox - x0, cy + r + oy - y0), fill=0)
        self.image.paste(colour, (x0, y0, x0 + size[0], y0 + size[1]), mask)

    def glow(self, cx: float, cy: float, radius: float, colour: RGB, alpha: int) -> None:
        """A soft halo of a few translucent rings (cheap, and smooth enough under the disc it rings)."""
        if self.mode == "outline" or self.hints.pixel_size > 1:
            return
        colour = self.tone(colour)
        for k in range(4, 0, -1):
            r = radius * (1 + 0.22 * k)
            self._blend.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*colour, alpha // (k + 1)))


def _points(geometry: Sequence[Point] | Box) -> list[Point]:
    """Shapes as point lists: a box (x0, y0, x1, y1) becomes its two corners, which Pillow takes for
    ellipses and rectangles alike, and which scale and move as a polygon's points do."""
    if len(geometry) == 4 and not isinstance(geometry[0], tuple):
        x0, y0, x1, y1 = cast(Box, geometry)
        return [(x0, y0), (x1, y1)]
    return list(cast(Sequence[Point], geometry))


def _scaled(points: list[Point], k: float, dx: float, dy: float) -> list[Point]:
    """The points scaled by k about their centre, then moved by (dx, dy)."""
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    return [(cx + (x - cx) * k + dx, cy + (y - cy) * k + dy) for x, y in points]


# --- the scene ---------------------------------------------------------------------------------------


@dataclass
class Scene:
    """What will be drawn where, decided before any painting."""

    reading: Reading
    palette: Palette
    landscape: bool
    horizon: float  # y of the horizon in 0..1 (1.0 on a backdrop)
    shore: float  # y where water gives way to land (horizon..1)
    sun: Point | None = None  # in 0..1
    moon: Point | None = None
    ground: str = "field"  # field, hills, sea, desert, snow, floor, none
    counts: dict[str, int] = field(default_factory=dict)
    backdrop: int = 0  # which decoration a backdrop gets
    focus: Point = (0.5, 0.46)  # where a backdrop's subject stands out (in 0..1)
    floor: float = 0.8  # where a backdrop's floor begins (in 0..1)


class Painter:
    """Paints one scene onto a canvas."""

    def __init__(self, reading: Reading, seed: int, hints: SketchHints) -> None:
        self.reading = reading
        self.seed = seed
        self.hints = hints
        self._key = hashlib.sha256(" ".join(reading.words).encode()).digest()
        rng = self.rng("scene")
        palette = _palette(reading, self.rng("palette"))
        if hints.backdrop == "paper":
            palette.sky_top = palette.sky_bottom = palette.ground_top = palette.ground_bottom = PAPER
        elif hints.backdrop == "dark":
            palette.sky_top, palette.sky_bottom = (6, 4, 18), (44, 14, 60)
            palette.ground_top, palette.ground_bottom = (20, 6, 34), (6, 2, 12)
            palette.light = "night"
        moods = reading.moods
        landscape = reading.has(*LANDSCAPE, *SKY) or bool(moods & {"underwater", "desert", "winter"})
        if "space" in moods and not reading.has(*LANDSCAPE):
            landscape = False
        horizon = float(rng.uniform(0.56, 0.70)) if landscape else 1.0
        if "underwater" in moods:
            horizon = float(rng.uniform(0.82, 0.88))
        scene = Scene(reading, palette, landscape, horizon, horizon, backdrop=int(rng.integers(5)))
        # A backdrop's subject sits off-centre by the seed's choice, with its rings, disc and glow.
        third = float(rng.choice([0.37, 0.63])) + float(rng.uniform(-0.04, 0.04))
        scene.focus = (third, float(rng.uniform(0.4, 0.52)))
        scene.floor = float(rng.uniform(0.72, 0.84))
        if reading.has("sea") or (reading.has("beach") and not reading.has("desert")):
            scene.ground = "sea"
            scene.shore = horizon + (1 - horizon) * float(rng.uniform(0.35, 0.55))
            if not reading.has("beach", "field", "tree", "palm", "house") and not self._standing():
                scene.shore = 1.0
        elif reading.has("desert") or "desert" in moods:
            scene.ground = "desert"
        elif "winter" in moods or reading.has("snow"):
            scene.ground = "snow"
        elif reading.has("field"):
            scene.ground = "field"
        elif "underwater" in moods:
            scene.ground = "seabed"
        elif landscape:
            scene.ground = "hills" if rng.random() < 0.6 or reading.has("hill") else "field"
        if landscape:
            desert_sun = scene.ground == "desert" and palette.light == "day" and reading.allows("sun")
            sunset_sun = palette.light == "sunset" and "underwater" not in moods and reading.allows("sun")
            if reading.has("sun") or desert_sun or sunset_sun:
                low = palette.light == "sunset"
                y = (
                    horizon - float(rng.uniform(0.02, 0.1))
                    if low
                    else float(rng.uniform(0.14, horizon - 0.22))
                )
                if not low and reading.has("mountain"):
                    y = float(rng.uniform(0.1, 0.2))  # high, so the peaks can rise beneath it
                scene.sun = (float(rng.uniform(0.22, 0.78)), y)
            if reading.has("moon"):
                mx = float(rng.uniform(0.18, 0.82))
                if scene.sun is not None and abs(mx - scene.sun[0]) < 0.3:
                    mx = (mx + 0.5) % 1.0 * 0.64 + 0.18
                scene.moon = (mx, float(rng.uniform(0.12, max(0.2, horizon - 0.3))))
        self.scene = scene

    def rng(self, name: str, index: int = 0) -> np.random.Generator:
        entropy = [self.seed % 2**64, int.from_bytes(self._key[:16], "big"), zlib.crc32(name.encode()), index]
        return np.random.default_rng(entropy)

    def _standing(self) -> bool:
        return self.reading.has(*STANDING)

    def count(self, thing: Thing, low: int, high: int) -> int:
        """How many to draw: the number the prompt gave, or one the seed picks for a plain plural."""
        if thing.count > 0:
            return thing.count
        return int(self.rng("count", zlib.crc32(thing.concept.encode())).integers(low, high + 1))

    def colour(self, thing: Thing, default: RGB, natural: bool = True) -> RGB:
        """The thing's own colour, else its usual one leaning towards the prompt's colour."""
        if thing.colour is not None:
            return thing.colour
        tint = self.scene.palette.tint
        if tint is not None:
            return mix(default, with_light(tint, lightness(default)), 0.3 if natural else 0.7)
        return default

    # -- background ---------------------------------------------------------------------------------

    def background(self, width: int, height: int) -> Image.Image:
        """Sky (or backdrop) and ground as smooth gradients with the glows of sun and moon, computed at
        half size and doubled: neighbouring pixels of these gradients differ by under one level, so
        nearest-neighbour doubling cannot be seen and costs a fraction of a smooth resize."""
        scene, pal = self.scene, self.scene.palette
        tone = Canvas(Image.new("RGB", (1, 1)), self.hints).tone
        w, h = max(2, width // 2), max(2, height // 2)
        ys = (np.arange(h, dtype=np.float32) + 0.5) / h
        xs = (np.arange(w, dtype=np.float32) + 0.5) / w
        if scene.landscape:
            horizon = scene.horizon
            t_sky = np.clip(ys / horizon, 0, 1) ** 1.3
            t_ground = np.clip((ys - horizon) / max(1e-3, 1 - horizon), 0, 1)
            top, bottom = np.array(tone(pal.sky_top), np.float32), np.array(tone(pal.sky_bottom), np.float32)
            if scene.ground == "sea":
                near = mix(tone(pal.sky_bottom), tone(self._sea_colour()), 0.55)
                far = shift(tone(self._sea_colour()), -0.12)
                g_top, g_bottom = np.array(near, np.float32), np.array(far, np.float32)
            else:
                g_top, g_bottom = (
                    np.array(tone(self._ground_colours()[0]), np.float32),
                    np.array(tone(self._ground_colours()[1]), np.float32),
                )
            sky = top + (bottom - top) * t_sky[:, None]
            ground = g_top + (g_bottom - g_top) * t_ground[:, None]
            rows = np.where((ys < horizon)[:, None], sky, ground)
            image = np.repeat(rows[:, None, :], w, axis=1)
        else:
            # A backdrop: a diagonal blend of two light colours from the palette.
            first = pal.accents[0] if pal.tint is None else pal.tint
            a = with_light(first, 0.86) if pal.light != "night" else with_light(pal.sky_top, 0.08)
            b = shift(with_light(first, 0.7), 0, 0.8, 0.04) if pal.light != "night" else pal.sky_bottom
            if self.hints.backdrop in ("paper", "dark"):
                a, b = pal.sky_top, pal.sky_bottom
            ta, tb = np.array(tone(a), np.float32), np.array(tone(b), np.float32)
            # The blend runs in a direction the seed picks, so backdrops differ in light, not only hue.
            angle = float(self.rng("backdrop-light").uniform(0, 2 * math.pi))
            dx, dy = math.cos(angle), math.sin(angle)
            along = (xs[None, :] - 0.5) * dx + (ys[:, None] - 0.5) * dy
            image = ta + (tb - ta) * np.clip(along + 0.5, 0, 1)[:, :, None]
        glows: list[tuple[Point, float, RGB, float]] = []
        if scene.sun is not None and self.hints.backdrop != "paper":
            thing = self.reading.thing("sun")
            sun = self._sun_colour(thing)
            glows.append((scene.sun, 0.22, mix(with_light(sun, 0.75), pal.sky_bottom, 0.3), 0.75))
        if scene.moon is not None and self.hints.backdrop != "paper":
            glows.append((scene.moon, 0.12, (200, 210, 235), 0.35))
        if not scene.landscape and self.hints.backdrop != "paper":
            glows.append((scene.focus, 0.35, with_light(pal.accents[1 % len(pal.accents)], 0.9), 0.35))
        if "space" in pal.moods:
            rng = self.rng("nebula")
            for i in range(3):
                colour = pal.accents[i % len(pal.accents)]
                centre = (float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.1, 0.45)))
                glows.append((centre, float(rng.uniform(0.12, 0.25)), colour, 0.35))
        aspect = width / height
        for (gx, gy), radius, colour, strength in glows:
            fx = np.exp(-(((xs - gx) * aspect / radius) ** 2))
            fy = np.exp(-(((ys - gy) / radius) ** 2))
            weight = (fy[:, None] * fx[None, :] * strength)[:, :, None]
            image = image + (np.array(tone(colour), np.float32) - image) * weight
        pixels = np.clip(image + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(pixels, "RGB").resize((width, height), Image.Resampling.NEAREST)

    def _ground_colours(self) -> tuple[RGB, RGB]:
        pal = self.scene.palette
        if self.hints.backdrop != "scene":
            return pal.ground_top, pal.ground_bottom
        if self.scene.ground == "snow":
            if pal.light == "night":
                return (120, 132, 168), (80, 92, 130)
            return (236, 241, 248), (200, 214, 232)
        if self.scene.ground == "desert":
            thing = self.reading.thing("desert")
            sand = thing.colour if thing is not None and thing.colour is not None else (232, 190, 120)
            return with_light(sand, 0.72), with_light(sand, 0.55)
        return pal.ground_top, pal.ground_bottom

    def _sea_colour(self) -> RGB:
        thing = self.reading.thing("sea")
        pal = self.scene.palette
        base = {"day": (40, 110, 170), "sunset": (70, 60, 120), "night": (16, 26, 60)}[pal.light]
        if thing is not None:
            return self.colour(thing, base)
        return base

    def _sun_colour(self, thing: Thing | None) -> RGB:
        default: RGB = (255, 140, 60) if self.scene.palette.light == "sunset" else (255, 210, 90)
        if thing is None:
            return default
        return thing.colour or default

    # -- everything else --------------------------------------------------------------------------------

    def paint(self, canvas: Canvas, *, with_ground: bool = True) -> None:
        """Every thing the prompt names, back to front."""
        r, scene = self.reading, self.scene
        if scene.landscape:
            self._landscape(canvas, with_ground)
        else:
            self._backdrop(canvas)
        self._subjects(canvas)
        for concept in ("leaf", "bubble", "rain", "snow"):
            thing = r.thing(concept)
            if thing is not None:
                getattr(self, f"_weather_{concept}")(canvas, thing)
        if "underwater" in r.moods and not r.has("bubble"):
            self._weather_bubble(canvas, Thing("bubble", 0, None))
        if "autumn" in r.moods and not r.has("leaf"):
            self._weather_leaf(canvas, Thing("leaf", 0, None))

    def _landscape(self, canvas: Canvas, with_ground: bool) -> None:
        r, scene, pal = self.reading, self.scene, self.scene.palette
        w, h = canvas.w, canvas.h
        hy = scene.horizon * h
        if pal.light == "night" or r.has("stars"):
            self._stars(canvas, 160 if r.has("stars") else 50)
        if (thing := r.thing("aurora")) is not None:
            self._aurora(canvas, thing)
        if r.has("rainbow"):
            self._rainbow(canvas)
        if scene.sun is not None:
            self._sun(canvas, scene.sun)
        if scene.moon is not None:
            self._moon(canvas, scene.moon)
        if (thing := r.thing("planet")) is not None:
            rng = self.rng("planet")
            size = min(w, h) * float(rng.uniform(0.14, 0.22))
            self.draw_planet(
                canvas,
                w * float(rng.uniform(0.2, 0.8)),
                hy * float(rng.uniform(0.25, 0.5)),
                size,
                self.colour(thing, pal.accents[0], natural=False),
                rng,
            )
        clouds = r.thing("cloud")
        if clouds is None and r.has("rain", "lightning") and r.allows("cloud"):
            clouds = Thing("cloud", 0, (150, 155, 165))
        if clouds is not None:
            self._clouds(canvas, clouds)
        if r.has("lightning"):
            self._lightning(canvas)
        if (thing := r.thing("mountain")) is not None:
            self._mountains(canvas, thing)
        if scene.ground == "hills" or r.has("hill"):
            self._hills(canvas, r.thing("hill") or Thing("hill", 0, None), with_ground)
        if (thing := r.thing("city")) is not None:
            self._city(canvas, thing)
        if (thing := r.thing("castle")) is not None:
            rng = self.rng("castle")
            size = min(w, h) * 0.42
            self.draw_castle(
                canvas,
                w * float(rng.uniform(0.35, 0.65)),
                hy + 0.02 * h - size / 2,
                size,
                self.colour(thing, (200, 190, 175)),
                rng,
            )
        if with_ground:
            self._ground(canvas)
        if (thing := r.thing("forest")) is not None:
            self._forest(canvas, thing)
        if (thing := r.thing("lighthouse")) is not None:
            rng = self.rng("lighthouse")
            size = min(w, h) * 0.45
            x = w * (0.16 if rng.random() < 0.5 else 0.84)
            self.draw_lighthouse(
                canvas, x, hy + 0.05 * h - size / 2, size, self.colour(thing, (220, 60, 50)), rng
            )
        if (thing := r.thing("boat")) is not None:
            self._boats(canvas, thing)
        if (thing := r.thing("palm")) is not None:
            self._trees(canvas, thing, "palm")
        if (thing := r.thing("tree")) is not None:
            self._trees(canvas, thing, "tree")
        if (thing := r.thing("house")) is not None:
            self._houses(canvas, thing)
        if r.has("bird"):
            self._birds(canvas, r.thing("bird") or Thing("bird", 0, None))
        if self.hints.backdrop == "dark" and with_ground:
            self._grid(canvas)

    # sky things

    def _stars(self, canvas: Canvas, n: int) -> None:
        rng = self.rng("stars")
        limit = self.scene.horizon * canvas.h * 0.95
        xs = rng.uniform(0, canvas.w, n)
        ys = rng.uniform(0, 1, n) ** 1.4 * limit
        sizes = rng.uniform(0.8, 2.6, n) * canvas.u
        for x, y, s in zip(xs.tolist(), ys.tolist(), sizes.tolist(), strict=True):
            alpha = int(150 + 100 * min(1.0, s / (2.6 * canvas.u)))
            canvas.detail("ellipse", (x - s, y - s, x + s, y + s), (255, 250, 225), alpha)
            if s > 2.2 * canvas.u:
                # The brightest twinkle.
                arm = s * 4
                canvas.detail("polygon", star_points(x, y, arm, s * 0.5, 4), (255, 250, 225), 200)

    def _sun(self, canvas: Canvas, at: Point) -> None:
        rng = self.rng("sun")
        thing = self.reading.thing("sun")
        colour = self._sun_colour(thing)
        x, y = at[0] * canvas.w, at[1] * canvas.h
        radius = min(canvas.w, canvas.h) * float(rng.uniform(0.07, 0.11))
        canvas.glow(x, y, radius, with_light(colour, 0.8), 90)
        if self.scene.palette.light == "day" and rng.random() < 0.6:
            # Rays for a midday sun.
            n = int(rng.integers(10, 16))
            for i in range(n):
                t = 2 * math.pi * i / n + float(rng.uniform(0, 0.2))
                inner, outer = radius * 1.25, radius * float(rng.uniform(1.55, 1.8))
                canvas.line(
                    [
                        (x + inner * math.cos(t), y + inner * math.sin(t)),
                        (x + outer * math.cos(t), y + outer * math.sin(t)),
                    ],
                    colour,
                    radius * 0.12,
                    220,
                )
        canvas.shape("ellipse", (x - radius, y - radius, x + radius, y + radius), colour)

    def _moon(self, canvas: Canvas, at: Point) -> None:
        rng = self.rng("moon")
        thing = self.reading.thing("moon") or Thing("moon", 1, None)
        colour = self.colour(thing, (246, 240, 214), natural=False)
        x, y = at[0] * canvas.w, at[1] * canvas.h
        radius = min(canvas.w, canvas.h) * float(rng.uniform(0.06, 0.09))
        canvas.glow(x, y, radius, (230, 235, 250), 60)
        full = rng.random() < 0.5 or canvas.mode == "outline"
        if full:
            canvas.shape("ellipse", (x - radius, y - radius, x + radius, y + radius), colour)
        if full:
            for _ in range(3):
                a, d = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0.1, 0.55)) * radius
                cr = radius * float(rng.uniform(0.1, 0.2))
                cx, cy = x + d * math.cos(a), y + d * math.sin(a)
                canvas.detail("ellipse", (cx - cr, cy - cr, cx + cr, cy + cr), shift(colour, -0.1), 140)
        else:
            # A crescent: the disc's light where a second, offset disc does not cover it.
            canvas.crescent(x, y, radius, shift(colour, 0.0), (0.45, -0.15))

    def _clouds(self, canvas: Canvas, thing: Thing) -> None:
        pal = self.scene.palette
        n = 1 if thing.count == 1 else self.count(thing, 2, 5)
        default = {"day": WHITE, "sunset": (250, 196, 190), "night": (70, 80, 120)}[pal.light]
        colour = self.colour(thing, default)
        for i in range(n):
            rng = self.rng("cloud", i)
            size = min(canvas.w, canvas.h) * float(rng.uniform(0.16, 0.3)) * (1.4 if n == 1 else 1.0)
            x = canvas.w * ((i + float(rng.uniform(0.2, 0.8))) / n)
            y = self.scene.horizon * canvas.h * float(rng.uniform(0.15, 0.6))
            self.draw_cloud(canvas, x, y, size, colour, rng)

    def draw_cloud(
        self, canvas: Canvas, x: float, y: float, size: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        puffs = int(rng.integers(3, 6))
        base = y + size * 0.18
        canvas.shape(
            "ellipse",
            (x - size * 0.62, base - size * 0.16, x + size * 0.62, base + size * 0.1),
            shift(colour, -0.07),
            230,
            flat=True,
        )
        for k in range(puffs):
            px = x + (k / max(1, puffs - 1) - 0.5) * size * 0.9
            pr = size * float(rng.uniform(0.18, 0.3)) * (1.25 if 0 < k < puffs - 1 else 0.9)
            canvas.shape(
                "ellipse", (px - pr, base - pr * 1.6, px + pr, base + pr * 0.2), colour, 240, flat=True
            )

    def _rainbow(self, canvas: Canvas) -> None:
        rng = self.rng("rainbow")
        cx = canvas.w * float(rng.uniform(0.3, 0.7))
        cy = self.scene.horizon * canvas.h + canvas.h * 0.05
        radius = canvas.w * float(rng.uniform(0.38, 0.5))
        band = radius * 0.045
        colours: tuple[RGB, ...] = (
            (230, 60, 60),
            (245, 150, 50),
            (245, 220, 70),
            (80, 190, 90),
            (60, 140, 220),
            (90, 80, 200),
            (150, 80, 190),
        )
        for i, colour in enumerate(colours):
            r = radius - i * band
            box = (cx - r, cy - r, cx + r, cy + r)
            tone = canvas.tone(colour) if canvas.mode != "outline" else INK
            canvas._blend.arc(
                box,
                180,
                360,
                fill=(*tone, 170),
                width=max(1, round(band if canvas.mode != "outline" else 2 * canvas.u)),
            )

    def _aurora(self, canvas: Canvas, thing: Thing) -> None:
        """Curtains of light: rows of faint vertical strokes hanging from two wavy ribbons."""
        rng = self.rng("aurora")
        hy = self.scene.horizon * canvas.h
        base = self.colour(thing, (70, 230, 160), natural=False)
        step = max(2, round(5 * canvas.u))
        for ribbon in range(2):
            colour = base if ribbon == 0 else shift(base, 0.04, 1.0, 0.12)
            y0, amp = hy * float(rng.uniform(0.3, 0.55)), hy * float(rng.uniform(0.05, 0.12))
            freq, phase = float(rng.uniform(1.2, 2.6)), float(rng.uniform(0, 6.3))
            ribbon_line = []
            for x in range(0, canvas.w + step, step):
                t = x / canvas.w
                foot = y0 + amp * math.sin(t * freq * 2 * math.pi + phase)
                ribbon_line.append((float(x), foot))
                if canvas.mode == "outline":
                    continue
                height = hy * (0.12 + 0.1 * (0.5 + 0.5 * math.sin(t * freq * 9 + phase * 2)))
                canvas.line([(x, foot), (x, foot - height)], colour, step, 34)
                canvas.line([(x, foot), (x, foot - height * 0.3)], with_light(colour, 0.78), step, 50)
            if canvas.mode == "outline":
                canvas.line(ribbon_line, INK, 2 * canvas.u)

    def _lightning(self, canvas: Canvas) -> None:
        rng = self.rng("lightning")
        x, y = canvas.w * float(rng.uniform(0.25, 0.75)), self.scene.horizon * canvas.h * 0.3
        points = [(x, y)]
        step = self.scene.horizon * canvas.h * 0.12
        for _ in range(6):
            x += float(rng.uniform(-0.6, 0.6)) * step
            y += step
            points.append((x, y))
        canvas.line(points, (255, 250, 200), 26 * canvas.u, 70)
        canvas.line(points, (255, 245, 170), 9 * canvas.u)

    def _birds(self, canvas: Canvas, thing: Thing) -> None:
        n = self.count(thing, 3, 7)
        rng = self.rng("birds")
        pal = self.scene.palette
        colour = self.colour(thing, (40, 40, 50) if pal.light != "night" else (220, 220, 230))
        cx, cy = (
            canvas.w * float(rng.uniform(0.3, 0.7)),
            self.scene.horizon * canvas.h * float(rng.uniform(0.25, 0.5)),
        )
        for _ in range(n):
            size = min(canvas.w, canvas.h) * float(rng.uniform(0.025, 0.05)) * (2.0 if n == 1 else 1.0)
            x = cx + float(rng.normal(0, 0.12)) * canvas.w
            y = cy + float(rng.normal(0, 0.06)) * canvas.h
            flap = float(rng.uniform(0.2, 0.6))
            canvas.line(
                [
                    (x - size, y - size * flap),
                    (x - size * 0.4, y - size * 0.1),
                    (x, y + size * 0.15),
                    (x + size * 0.4, y - size * 0.1),
                    (x + size, y - size * flap),
                ],
                colour,
                size * 0.16,
            )

    # land

    def _mountains(self, canvas: Canvas, thing: Thing) -> None:
        pal, scene = self.scene.palette, self.scene
        hy = scene.horizon * canvas.h
        base = self.colour(
            thing, {"day": (92, 108, 140), "sunset": (90, 60, 100), "night": (30, 36, 66)}[pal.light]
        )
        snowy = "winter" in pal.moods or self.rng("snowcaps").random() < 0.6
        layers = 3
        for layer in range(layers):
            rng = self.rng("mountain", layer)
            depth = (layers - 1 - layer) / (layers - 1)  # 1 far .. 0 near
            top = hy * float(rng.uniform(0.3, 0.5)) + depth * 0.02 * canvas.h + layer * 0.06 * hy
            if scene.sun is not None and scene.palette.light == "day":
                # Peaks stay below a midday sun, which the prompt usually puts over them.
                top = max(top, scene.sun[1] * canvas.h + min(canvas.w, canvas.h) * 0.14)
            heights = ridge(rng, 64, 0.55)
            xs = np.linspace(-0.02 * canvas.w, 1.02 * canvas.w, heights.size)
            ys = hy - (hy - top) * (0.25 + 0.75 * heights) * (0.9 - 0.2 * layer / layers)
            bottom = hy + (canvas.h * 0.01 if canvas.mode not in ("outline", "glow") else 0)
            points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
            colour = mix(base, pal.sky_bottom, 0.55 * depth) if layer < layers - 1 else shift(base, -0.04)
            canvas.shape(
                "polygon",
                [*points, (points[-1][0], bottom), (points[0][0], bottom)],
                colour,
                flat=canvas.mode not in ("outline", "glow", "cel"),
            )
            if snowy and layer < layers - 1 and canvas.mode != "glow":
                line = float(ys.min()) + (hy - float(ys.min())) * 0.22
                jag = rng.uniform(0, canvas.h * 0.025, ys.size)
                lower = np.maximum(ys, line + jag)
                cap = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
                cap += [(float(x), float(y)) for x, y in zip(xs[::-1], lower[::-1], strict=True)]
                canvas.shape("polygon", cap, mix(WHITE, pal.sky_bottom, 0.25 * depth), flat=True)

    def _hills(self, canvas: Canvas, thing: Thing, with_ground: bool) -> None:
        pal, scene = self.scene.palette, self.scene
        hy = scene.horizon * canvas.h
        near = self._ground_colours()[0]
        for layer in range(3):
            rng = self.rng("hill", layer)
            depth = 1 - layer / 2
            xs = np.linspace(0, canvas.w, 48)
            phase, freq = float(rng.uniform(0, 6.3)), float(rng.uniform(1.5, 3.5))
            amp = canvas.h * (0.05 + 0.03 * layer)
            ys = (
                hy
                - amp * (0.5 + 0.5 * np.sin(xs / canvas.w * freq * math.pi + phase))
                + layer * canvas.h * 0.05
            )
            colour = mix(shift(near, 0.04 * (1 - layer)), pal.sky_bottom, 0.35 * depth)
            colour = self.colour(thing, colour) if thing.colour else colour
            if not with_ground and layer == 2:
                break
            points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
            canvas.shape("polygon", [*points, (canvas.w, canvas.h), (0, canvas.h)], colour, flat=True)

    def _ground(self, canvas: Canvas) -> None:
        scene, pal = self.scene, self.scene.palette
        w, h, u = canvas.w, canvas.h, canvas.u
        hy = scene.horizon * h
        if canvas.mode in ("outline", "glow"):
            canvas.line([(0, hy), (w, hy)], INK if canvas.mode == "outline" else pal.accents[0], 3 * u)
        if scene.ground == "sea":
            self._sea(canvas)
        elif scene.ground == "desert":
            for layer in range(2):
                rng = self.rng("dune", layer)
                xs = np.linspace(0, w, 40)
                ys = (
                    hy
                    + (h - hy) * (0.25 + 0.3 * layer)
                    - h
                    * 0.06
                    * np.sin(xs / w * math.pi * float(rng.uniform(1, 2.2)) + float(rng.uniform(0, 6.3)))
                )
                points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
                sand = shift(self._ground_colours()[0], 0.03 - 0.08 * layer)
                canvas.shape("polygon", [*points, (w, h), (0, h)], sand, flat=True)
                canvas.line(points, shift(sand, 0.1), 3 * u, 160)
        elif scene.ground in ("field", "hills", "snow") and canvas.mode != "outline":
            rng = self.rng("grass")
            n = 90 if scene.ground != "snow" else 0
            near = shift(self._ground_colours()[1], -0.05)
            for _ in range(n):
                x = float(rng.uniform(0, w))
                y = hy + (h - hy) * float(rng.uniform(0.3, 1.0)) ** 0.7
                blade = (6 + 18 * (y - hy) / (h - hy)) * u
                canvas.line([(x, y), (x + blade * 0.3, y - blade)], near, 2 * u, 150)
        elif scene.ground == "seabed":
            rng = self.rng("seabed")
            canvas.shape("polygon", [(0, hy), (w, hy + h * 0.02), (w, h), (0, h)], pal.ground_top, flat=True)
            for i in range(int(rng.integers(5, 9))):
                x = w * (i + float(rng.uniform(0.1, 0.9))) / 8
                height = h * float(rng.uniform(0.15, 0.35))
                points = [
                    (x + math.sin(k * 0.9 + i) * 12 * u, hy + h * 0.02 - height * k / 10) for k in range(11)
                ]
                canvas.line(points, (40, 150, 90), 9 * u)

    def _sea(self, canvas: Canvas) -> None:
        scene, pal = self.scene, self.scene.palette
        w, h, u = canvas.w, canvas.h, canvas.u
        hy, shore = scene.horizon * h, scene.shore * h
        rng = self.rng("waves")
        sea = self._sea_colour()
        crest = mix(with_light(sea, 0.75), pal.sky_bottom, 0.4)
        for _ in range(110):
            t = float(rng.uniform(0, 1)) ** 1.5
            y = hy + (shore - hy) * t
            length = (10 + 80 * t) * u
            x = float(rng.uniform(-length, w))
            canvas.line([(x, y), (x + length, y)], crest, (1 + 2.5 * t) * u, 110)
        light = scene.sun or scene.moon
        if light is not None:
            # The sun's (or moon's) path on the water.
            glint = self._sun_colour(self.reading.thing("sun")) if scene.sun else (240, 240, 250)
            glint = with_light(glint, 0.82)
            lx = light[0] * w
            for k in range(26):
                t = k / 26
                y = hy + (shore - hy) * t**1.3 + 2 * u
                half = (12 + 90 * t) * u * float(rng.uniform(0.4, 1.0))
                dx = float(rng.normal(0, 8 + 25 * t)) * u
                canvas.line([(lx + dx - half, y), (lx + dx + half, y)], glint, (2 + 3 * t) * u, 170)
        if shore < h:
            land = (236, 214, 160) if not self.reading.has("field") else self._ground_colours()[0]
            xs = np.linspace(0, w, 40)
            phase = float(rng.uniform(0, 6.3))
            ys = shore + h * 0.025 * np.sin(xs / w * math.pi * 2 + phase)
            points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
            canvas.line(points, (250, 250, 250), 7 * u, 200)
            canvas.shape("polygon", [*[(x, y + 4 * u) for x, y in points], (w, h), (0, h)], land, flat=True)

    def _city(self, canvas: Canvas, thing: Thing) -> None:
        pal = self.scene.palette
        hy = self.scene.horizon * canvas.h
        night = pal.light == "night"
        base = self.colour(
            thing, {"day": (110, 120, 150), "sunset": (80, 60, 100), "night": (26, 30, 56)}[pal.light]
        )
        lit: RGB = (255, 214, 120)
        for row in range(2):
            rng = self.rng("city", row)
            colour = mix(base, pal.sky_bottom, 0.45) if row == 0 else base
            x = -float(rng.uniform(0, 40)) * canvas.u
            while x < canvas.w:
                bw = canvas.w * float(rng.uniform(0.05, 0.11))
                bh = canvas.h * float(rng.uniform(0.08, 0.3)) * (1.1 if row == 0 else 0.8)
                top = hy - bh
                shade = shift(colour, float(rng.uniform(-0.05, 0.05)))
                canvas.shape("rect", (x, top, x + bw, hy + 2 * canvas.u), shade)
                if row == 1 or night:
                    win = max(2.0, 6 * canvas.u)
                    for wy in np.arange(top + win * 2, hy - win * 2, win * 2.6).tolist():
                        for wx in np.arange(x + win * 1.5, x + bw - win * 1.5, win * 2.4).tolist():
                            on = rng.random() < (0.45 if night else 0.0)
                            window = lit if on else shift(shade, 0.12 if not night else 0.04)
                            canvas.detail("rect", (wx, wy, wx + win, wy + win * 1.3), window)
                x += bw + float(rng.uniform(0, 0.02)) * canvas.w

    def _forest(self, canvas: Canvas, thing: Thing) -> None:
        pal = self.scene.palette
        hy = self.scene.horizon * canvas.h
        green = {"day": (46, 110, 70), "sunset": (50, 50, 60), "night": (16, 36, 40)}[pal.light]
        if "autumn" in pal.moods:
            green = (170, 80, 40)
        colour = self.colour(thing, green)
        for row in range(3):
            rng = self.rng("forest", row)
            depth = 1 - row / 2
            size = min(canvas.w, canvas.h) * (0.08 + 0.05 * row)
            base_y = hy + (0.005 + 0.03 * row) * canvas.h
            if self.scene.ground == "sea":
                # A treeline on the far shore.
                base_y = hy + 0.004 * canvas.h * row
                size *= 0.6
            n = int(canvas.w / (size * 0.55)) + 1
            tone = mix(colour, pal.sky_bottom, 0.45 * depth)
            for i in range(n):
                if rng.random() < 0.25:
                    continue
                x = (i + float(rng.uniform(-0.3, 0.3))) * size * 0.55
                s = size * float(rng.uniform(0.7, 1.2))
                self.draw_pine(
                    canvas, x, base_y - s / 2, s, shift(tone, float(rng.uniform(-0.04, 0.04))), rng
                )

    def _land_top(self, canvas: Canvas) -> float:
        """Where land begins: the horizon, or the shore when there is water."""
        scene = self.scene
        if scene.ground == "sea":
            return scene.shore * canvas.h
        return scene.horizon * canvas.h

    def _trees(self, canvas: Canvas, thing: Thing, kind: str) -> None:
        n = 1 if thing.count == 1 else self.count(thing, 3, 6)
        pal = self.scene.palette
        hy = self._land_top(canvas)
        green = {"day": (74, 150, 80), "sunset": (70, 80, 70), "night": (24, 50, 44)}[pal.light]
        if "autumn" in pal.moods:
            green = (220, 120, 40)
        if "spring" in pal.moods:
            green = (246, 180, 200)
        colour = self.colour(thing, green)
        order = sorted(range(n), key=lambda i: float(self.rng(kind, i).uniform(0, 1)))
        for i in order:
            rng = self.rng(kind, i)
            t = float(rng.uniform(0, 1))
            base = hy + (canvas.h - hy) * (0.1 + 0.6 * t) if n > 1 else hy + (canvas.h - hy) * 0.55
            if self.scene.ground == "sea":
                base = hy + (canvas.h - hy) * (0.3 + 0.4 * t)
            size = min(canvas.w, canvas.h) * (0.18 + 0.25 * t if n > 1 else 0.5)
            if n == 1:
                x = canvas.w * (0.22 if rng.random() < 0.5 else 0.78)
            else:
                x = canvas.w * (i + float(rng.uniform(0.2, 0.8))) / n
            if kind == "palm":
                self.draw_palm(canvas, x, base - size / 2, size, colour, rng)
            elif "winter" in pal.moods and thing.colour is None:
                # Evergreens: a leafy tree in the snow looks like a mistake.
                self.draw_pine(canvas, x, base - size / 2, size, (44, 96, 74), rng)
            else:
                self.draw_tree(
                    canvas, x, base - size / 2, size, shift(colour, float(rng.uniform(-0.05, 0.05))), rng
                )

    def _houses(self, canvas: Canvas, thing: Thing) -> None:
        n = 1 if thing.count == 1 else self.count(thing, 2, 4)
        hy = self._land_top(canvas)
        for i in range(n):
            rng = self.rng("house", i)
            t = float(rng.uniform(0, 1)) if n > 1 else 0.5
            size = min(canvas.w, canvas.h) * (0.2 + 0.1 * t if n > 1 else 0.36)
            base = hy + (canvas.h - hy) * (0.15 + 0.3 * t)
            x = canvas.w * (
                (i + float(rng.uniform(0.25, 0.75))) / n if n > 1 else float(rng.uniform(0.3, 0.7))
            )
            wall = self.colour(
                thing, self.scene.palette.accents[i % len(self.scene.palette.accents)], natural=False
            )
            if n == 1 and thing.colour is None:
                wall = (240, 226, 200)
            self.draw_house(canvas, x, base - size / 2, size, wall, rng)

    def _boats(self, canvas: Canvas, thing: Thing) -> None:
        n = 1 if thing.count == 1 else self.count(thing, 2, 3)
        hy, shore = self.scene.horizon * canvas.h, self.scene.shore * canvas.h
        if self.scene.ground != "sea":
            shore = canvas.h
        for i in range(n):
            rng = self.rng("boat", i)
            t = float(rng.uniform(0.15, 0.6))
            y = hy + (shore - hy) * t
            size = min(canvas.w, canvas.h) * (0.1 + 0.3 * t) * (1.2 if n == 1 else 1.0)
            x = canvas.w * (i + float(rng.uniform(0.25, 0.75))) / n
            self.draw_boat(
                canvas, x, y - size * 0.35, size, self.colour(thing, (180, 70, 50), natural=False), rng
            )

    def _grid(self, canvas: Canvas) -> None:
        """A glowing perspective grid on the ground, the neon style's floor."""
        hy = self.scene.horizon * canvas.h
        colour = self.scene.palette.accents[0]
        for k in range(1, 12):
            y = hy + (canvas.h - hy) * (k / 11) ** 2
            canvas.line([(0, y), (canvas.w, y)], colour, 2 * canvas.u, 160)
        for k in range(-12, 13):
            canvas.line(
                [(canvas.w / 2 + k * canvas.w * 0.02, hy), (canvas.w / 2 + k * canvas.w * 0.16, canvas.h)],
                colour,
                2 * canvas.u,
                160,
            )

    def _backdrop(self, canvas: Canvas) -> None:
        """Decoration behind the subjects when there is no landscape."""
        pal = self.scene.palette
        w, h, u = canvas.w, canvas.h, canvas.u
        rng = self.rng("backdrop")
        if "space" in pal.moods or pal.light == "night":
            self._stars(canvas, 140)
        if not self.reading.things:
            self._abstract(canvas)
            return
        kind = self.scene.backdrop
        accents = pal.accents
        fx, fy = self.scene.focus[0] * w, self.scene.focus[1] * h
        if kind == 0:  # soft bokeh circles
            for i in range(14):
                r = min(w, h) * float(rng.uniform(0.03, 0.12))
                x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
                canvas.shape(
                    "ellipse",
                    (x - r, y - r, x + r, y + r),
                    with_light(accents[i % len(accents)], 0.8),
                    70,
                    flat=True,
                )
        elif kind == 1:  # rings around the middle
            for k in range(1, 9):
                r = min(w, h) * 0.07 * k
                tone = canvas.tone(with_light(accents[k % len(accents)], 0.65))
                colour = INK if canvas.mode == "outline" else tone
                canvas._blend.ellipse(
                    (fx - r, fy - r, fx + r, fy + r),
                    outline=(*colour, 110),
                    width=max(1, round(5 * u)),
                )
        elif kind == 2:  # confetti
            for i in range(60):
                x, y, s = float(rng.uniform(0, w)), float(rng.uniform(0, h)), float(rng.uniform(4, 10)) * u
                canvas.detail(
                    "polygon",
                    star_points(x, y, s, s * 0.45, 4, float(rng.uniform(0, 1))),
                    accents[i % len(accents)],
                    200,
                )
        elif kind == 3:  # diagonal bands
            for k in range(-4, 9):
                x = k * w * 0.16
                canvas.shape(
                    "polygon",
                    [(x, 0), (x + w * 0.07, 0), (x + w * 0.07 - h * 0.5, h), (x - h * 0.5, h)],
                    with_light(accents[k % len(accents)], 0.82),
                    60,
                    flat=True,
                )
        else:  # a big disc behind the subject, as on a poster
            r = min(w, h) * 0.36
            canvas.shape(
                "ellipse",
                (fx - r, fy - r, fx + r, fy + r),
                with_light(accents[0], 0.72),
                255,
                flat=True,
            )
        # A floor for standing subjects.
        if self._standing():
            floor = h * self.scene.floor
            canvas.shape(
                "rect",
                (0, floor, w, h),
                shift(with_light(accents[0] if pal.tint is None else pal.tint, 0.78), 0, 0.6),
                150,
                flat=True,
            )

    def _abstract(self, canvas: Canvas) -> None:
        """A poster-like arrangement of a disc, a half disc on a bar, a ring and dots, for prompts
        that name nothing the renderer knows."""
        pal = self.scene.palette
        w, h = canvas.w, canvas.h
        m = min(w, h)
        rng = self.rng("abstract")
        accents = [pal.accents[int(i)] for i in rng.permutation(len(pal.accents))]

        def colour(i: int) -> RGB:
            return accents[i % len(accents)]

        cx, cy = w * float(rng.choice([0.34, 0.66])), h * float(rng.uniform(0.3, 0.45))
        r = m * float(rng.uniform(0.2, 0.28))
        ring = r * float(rng.uniform(1.25, 1.45))
        tone = canvas.tone(colour(3)) if canvas.mode != "outline" else INK
        canvas._blend.arc(
            (cx - ring, cy - ring, cx + ring, cy + ring),
            float(rng.uniform(120, 200)),
            float(rng.uniform(320, 400)),
            fill=(*tone, 230),
            width=max(2, round(m * 0.018)),
        )
        canvas.shape("ellipse", (cx - r, cy - r, cx + r, cy + r), colour(0))
        bar_y = h * float(rng.uniform(0.66, 0.74))
        bar_x = w * float(rng.uniform(0.08, 0.3))
        bar_w = w * float(rng.uniform(0.45, 0.62))
        hr = m * float(rng.uniform(0.11, 0.17))
        hx = bar_x + bar_w * float(rng.uniform(0.3, 0.7))
        half = [
            (hx + hr * math.cos(a), bar_y - hr * math.sin(a)) for a in np.linspace(0, math.pi, 24).tolist()
        ]
        canvas.shape("polygon", half, colour(1))
        canvas.shape("rect", (bar_x, bar_y, bar_x + bar_w, bar_y + m * 0.035), colour(2))
        angle = float(rng.uniform(-0.6, 0.6))
        tx, ts = w * (0.8 if cx < w / 2 else 0.2), m * float(rng.uniform(0.08, 0.12))
        ty = h * float(rng.uniform(0.15, 0.3))
        canvas.shape(
            "polygon",
            rotate(
                [
                    (tx - ts, ty - ts * 0.35),
                    (tx + ts, ty - ts * 0.35),
                    (tx + ts, ty + ts * 0.35),
                    (tx - ts, ty + ts * 0.35),
                ],
                tx,
                ty,
                angle,
            ),
            colour(4),
            230,
        )
        dots = int(rng.integers(4, 8))
        dy = h * float(rng.uniform(0.8, 0.86))
        for k in range(dots):
            dx = w * (0.12 + 0.76 * k / max(1, dots - 1))
            dr = m * 0.012
            canvas.detail("ellipse", (dx - dr, dy - dr, dx + dr, dy + dr), colour(k), 220)

    # subjects

    def _subjects(self, canvas: Canvas) -> None:
        r, scene = self.reading, self.scene
        skip = LANDSCAPE | SKY | WEATHER | {"aurora"}
        if scene.landscape:
            skip = skip | {"planet"}
        things = [t for t in r.things if t.concept not in skip]
        if not things:
            return
        defaults = {"flower": (4, 9), "heart": (3, 6), "bubble": (6, 12), "butterfly": (2, 5), "fish": (3, 5)}
        items: list[tuple[Thing, int]] = []
        for thing in things:
            low, high = defaults.get(thing.concept, (2, 4))
            n = 1 if thing.count == 1 else self.count(thing, low, high)
            items += [(thing, i) for i in range(n)]
        items = items[:12]
        standing = [(t, i) for t, i in items if t.concept in STANDING]
        floating = [(t, i) for t, i in items if t.concept not in STANDING]
        w, h = canvas.w, canvas.h
        m = min(w, h)
        if scene.landscape:
            hy = scene.horizon * h
            ground_top = max(hy, scene.shore * h if scene.ground == "sea" and scene.shore < 1 else hy)
            n = len(standing)
            for k, (thing, i) in enumerate(standing):
                rng = self.rng(thing.concept + ":place", i)
                size = m * (0.4 if n == 1 else max(0.16, 0.8 / (n + 0.5)))
                if thing.concept == "flower" and n > 2:
                    size *= 0.85
                x = (
                    w * (k + 0.5 + float(rng.uniform(-0.22, 0.22))) / n
                    if n > 1
                    else w * float(rng.uniform(0.4, 0.6))
                )
                # Clear of the caption along the bottom.
                base = min(ground_top + (h - ground_top) * float(rng.uniform(0.55, 0.8)), h * 0.9)
                self._draw_thing(canvas, thing, x, base - size / 2, size, rng, shadow=True)
            top, bottom = h * 0.08, hy * 0.85
        else:
            n = len(standing)
            for k, (thing, i) in enumerate(standing):
                rng = self.rng(thing.concept + ":place", i)
                size = m * (float(rng.uniform(0.46, 0.6)) if n == 1 else max(0.2, 0.95 / (n + 0.4)))
                x = w * (k + 0.5 + float(rng.uniform(-0.15, 0.15))) / n if n > 1 else w * scene.focus[0]
                base = h * (scene.floor + 0.06 + float(rng.uniform(-0.02, 0.02)))
                self._draw_thing(canvas, thing, x, base - size / 2, size, rng, shadow=True)
            top, bottom = h * 0.08, h * (0.62 if standing else 0.92)
        n = len(floating)
        for k, (thing, i) in enumerate(floating):
            rng = self.rng(thing.concept + ":place", i)
            if n == 1:
                size = m * (float(rng.uniform(0.42, 0.56)) if not standing and not scene.landscape else 0.28)
                x, y = w * float(rng.uniform(0.42, 0.58)), (top + bottom) / 2
                if not standing and not scene.landscape:
                    x, y = w * scene.focus[0], h * scene.focus[1]
            else:
                size = m * max(
                    0.12, (0.7 if not standing and not scene.landscape else 0.4) / math.sqrt(n + 1)
                )
                cols = math.ceil(math.sqrt(n * w / h))
                rows = math.ceil(n / cols)
                col, row = k % cols, k // cols
                in_row = min(cols, n - row * cols)  # the last row may be short: centre it
                x = w * ((col + 0.5 + float(rng.uniform(-0.2, 0.2))) / cols + (cols - in_row) / (2 * cols))
                y = top + (bottom - top) * (row + 0.5 + float(rng.uniform(-0.2, 0.2))) / rows
            self._draw_thing(canvas, thing, x, y, size, rng, shadow=False)

    def _draw_thing(
        self,
        canvas: Canvas,
        thing: Thing,
        x: float,
        y: float,
        size: float,
        rng: np.random.Generator,
        *,
        shadow: bool,
    ) -> None:
        pal = self.scene.palette
        margin = 0.03 * canvas.w + size / 2
        x = canvas.w / 2 if margin * 2 > canvas.w else min(max(x, margin), canvas.w - margin)
        y = min(max(y, 0.02 * canvas.h + size / 2), canvas.h - size / 2)
        accent = pal.accents[int(rng.integers(len(pal.accents)))]
        if shadow and canvas.mode not in ("outline", "glow"):
            base = y + size / 2
            canvas.shape(
                "ellipse",
                (x - size * 0.32, base - size * 0.04, x + size * 0.32, base + size * 0.04),
                (20, 20, 30),
                60,
                flat=True,
            )
        draw = getattr(self, "draw_" + thing.concept)
        defaults: dict[str, RGB] = {
            "cat": CAT_COATS[int(rng.integers(len(CAT_COATS)))],
            "dog": DOG_COATS[int(rng.integers(len(DOG_COATS)))],
            "fish": (250, 140, 40),
            "heart": (226, 52, 80),
            "apple": (210, 40, 40),
            "mushroom": (210, 50, 45),
            "flame": (250, 120, 30),
            "crown": (240, 190, 50),
            "robot": (170, 180, 196),
            "rocket": (235, 235, 240),
            "diamond": (120, 210, 240),
            "star": (250, 205, 60),
        }
        natural = thing.concept in ("cat", "dog", "fish", "flame", "apple", "mushroom")
        colour = self.colour(thing, defaults.get(thing.concept, accent), natural=natural)
        if thing.concept in ("flower", "butterfly", "balloon") and thing.colour is None:
            colour = accent if pal.tint is None else mix(accent, pal.tint, 0.7)
        draw(canvas, x, y, size, colour, rng)

    # weather

    def _weather_rain(self, canvas: Canvas, thing: Thing) -> None:
        rng = self.rng("rain")
        colour = self.colour(thing, (200, 210, 230))
        for _ in range(160):
            x, y = float(rng.uniform(-40, canvas.w)), float(rng.uniform(0, canvas.h))
            length = float(rng.uniform(14, 30)) * canvas.u
            canvas.line([(x, y), (x + length * 0.25, y + length)], colour, 2 * canvas.u, 120)

    def _weather_snow(self, canvas: Canvas, thing: Thing) -> None:
        rng = self.rng("snow")
        for _ in range(180):
            x, y = float(rng.uniform(0, canvas.w)), float(rng.uniform(0, canvas.h))
            r = float(rng.uniform(1.5, 5)) * canvas.u
            canvas.detail("ellipse", (x - r, y - r, x + r, y + r), (255, 255, 255), 210)

    def _weather_leaf(self, canvas: Canvas, thing: Thing) -> None:
        rng = self.rng("leaves")
        n = self.count(thing, 8, 16) if thing.count != 1 else 1
        for i in range(n):
            x, y = float(rng.uniform(0, canvas.w)), float(rng.uniform(0, canvas.h * 0.9))
            size = min(canvas.w, canvas.h) * float(rng.uniform(0.025, 0.045)) * (4 if n == 1 else 1)
            colour = self.colour(thing, ((220, 110, 40), (200, 60, 40), (240, 180, 50), (150, 90, 40))[i % 4])
            self.draw_leaf(canvas, x, y, size, colour, rng)

    def _weather_bubble(self, canvas: Canvas, thing: Thing) -> None:
        rng = self.rng("bubbles")
        n = self.count(thing, 10, 20) if thing.count != 1 else 1
        for _ in range(n):
            x, y = float(rng.uniform(0, canvas.w)), float(rng.uniform(0, canvas.h))
            r = min(canvas.w, canvas.h) * float(rng.uniform(0.01, 0.035)) * (5 if n == 1 else 1)
            self.draw_bubble(canvas, x, y, r * 2, self.colour(thing, (220, 240, 255)), rng)

    # --- the things themselves: each fits a box of `s` around (x, y) ---------------------------------------

    def draw_sun(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.glow(x, y, s * 0.3, with_light(colour, 0.8), 90)
        c.shape("ellipse", (x - s * 0.3, y - s * 0.3, x + s * 0.3, y + s * 0.3), colour)

    def draw_planet(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        r = s * 0.32
        tilt = float(rng.uniform(-0.35, 0.35))
        ring = ellipse_points(x, y, s * 0.55, s * 0.13, tilt, 40)
        c.line([*ring, ring[0]], shift(colour, 0.2, 0.6), s * 0.04)
        c.shape("ellipse", (x - r, y - r, x + r, y + r), colour)
        for k in (-1, 1):
            c.detail(
                "polygon",
                ellipse_points(x, y + k * r * 0.35, r * 0.9, r * 0.07, 0, 20),
                shift(colour, -0.1),
                120,
            )
        front = [p for p in ring if p[1] > y + (p[0] - x) * math.tan(tilt)]
        c.line(front, shift(colour, 0.2, 0.6), s * 0.04)

    def draw_star(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.shape("polygon", star_points(x, y, s * 0.48, s * 0.2, 5, float(rng.uniform(-0.2, 0.2))), colour)

    def draw_heart(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        points = rotate(heart_points(x, y, s * 0.95), x, y, float(rng.uniform(-0.25, 0.25)))
        c.shape("polygon", points, colour)

    def draw_circle(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.shape("ellipse", (x - s * 0.45, y - s * 0.45, x + s * 0.45, y + s * 0.45), colour)

    def draw_square(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        h = s * 0.38
        points = rotate(
            [(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h)],
            x,
            y,
            float(rng.uniform(-0.4, 0.4)),
        )
        c.shape("polygon", points, colour)

    def draw_triangle(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        points = rotate(
            [(x, y - s * 0.45), (x + s * 0.48, y + s * 0.38), (x - s * 0.48, y + s * 0.38)],
            x,
            y,
            float(rng.uniform(-0.3, 0.3)),
        )
        c.shape("polygon", points, colour)

    def draw_hexagon(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.shape("polygon", ellipse_points(x, y, s * 0.45, s * 0.45, float(rng.uniform(0, 1)), 6), colour)

    def draw_diamond(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        top, girdle, bottom = y - s * 0.3, y - s * 0.1, y + s * 0.42
        wide, table = s * 0.45, s * 0.22
        outline = [(x - table, top), (x + table, top), (x + wide, girdle), (x, bottom), (x - wide, girdle)]
        c.shape("polygon", outline, colour)
        facet = shift(colour, 0.15)
        c.detail(
            "polygon",
            [(x - table, top), (x + table, top), (x + table * 0.5, girdle), (x - table * 0.5, girdle)],
            facet,
            160,
        )
        c.detail(
            "polygon",
            [(x - table * 0.5, girdle), (x + table * 0.5, girdle), (x, bottom)],
            shift(colour, -0.1),
            120,
        )
        c.line([(x - wide, girdle), (x + wide, girdle)], shift(colour, 0.25), s * 0.012)

    def draw_spiral(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        turns, start = 3.2, float(rng.uniform(0, 6.3))
        points = []
        for k in range(160):
            t = k / 159
            a = start + t * turns * 2 * math.pi
            points.append((x + math.cos(a) * t * s * 0.46, y + math.sin(a) * t * s * 0.46))
        c.line(points, colour, s * 0.05)

    def draw_cat(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        side = 1 if rng.random() < 0.5 else -1
        dark, light = shift(colour, -0.12), shift(colour, 0.15)
        tail = _bezier(
            [
                (x + side * s * 0.18, y + s * 0.45),
                (x + side * s * 0.5, y + s * 0.48),
                (x + side * s * 0.42, y + s * 0.05),
                (x + side * s * 0.3, y + s * 0.0),
            ],
            14,
        )
        c.line(tail, dark, s * 0.065)
        tx, ty = tail[-1]
        c.detail("ellipse", (tx - s * 0.032, ty - s * 0.032, tx + s * 0.032, ty + s * 0.032), dark)
        c.shape("ellipse", (x - s * 0.27, y - s * 0.05, x + s * 0.27, y + s * 0.5), colour)
        c.shape("ellipse", (x - s * 0.12, y + s * 0.05, x + s * 0.12, y + s * 0.42), light, flat=True)
        for k in (-1, 1):
            c.shape(
                "ellipse",
                (x + k * s * 0.13 - s * 0.08, y + s * 0.42, x + k * s * 0.13 + s * 0.08, y + s * 0.5),
                light,
            )
            c.shape(
                "polygon",
                [
                    (x + k * s * 0.2, y - s * 0.25),
                    (x + k * s * 0.17, y - s * 0.47),
                    (x + k * s * 0.04, y - s * 0.33),
                ],
                colour,
            )
            c.detail(
                "polygon",
                [
                    (x + k * s * 0.17, y - s * 0.28),
                    (x + k * s * 0.16, y - s * 0.41),
                    (x + k * s * 0.08, y - s * 0.33),
                ],
                (240, 160, 170),
            )
        c.shape("ellipse", (x - s * 0.23, y - s * 0.36, x + s * 0.23, y + s * 0.02), colour)
        eye: RGB = (150, 210, 90) if lightness(colour) < 0.5 else (90, 170, 80)
        for k in (-1, 1):
            ex, ey = x + k * s * 0.085, y - s * 0.18
            c.detail("ellipse", (ex - s * 0.045, ey - s * 0.05, ex + s * 0.045, ey + s * 0.05), eye)
            c.detail("ellipse", (ex - s * 0.014, ey - s * 0.042, ex + s * 0.014, ey + s * 0.042), INK)
            c.detail("ellipse", (ex - s * 0.024, ey - s * 0.035, ex - s * 0.006, ey - s * 0.017), WHITE)
        c.detail(
            "polygon",
            [(x - s * 0.025, y - s * 0.1), (x + s * 0.025, y - s * 0.1), (x, y - s * 0.07)],
            (230, 120, 140),
        )
        whisker = (235, 235, 235) if lightness(colour) < 0.5 else (60, 60, 60)
        for k in (-1, 1):
            for dy in (-0.015, 0.01, 0.035):
                c.line(
                    [(x + k * s * 0.06, y - s * 0.07), (x + k * s * 0.3, y - s * (0.09 - dy * 2))],
                    whisker,
                    s * 0.006,
                    200,
                )

    def draw_dog(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        ear, muzzle = shift(colour, -0.18), shift(colour, 0.18, 0.7)
        c.shape("ellipse", (x - s * 0.28, y - s * 0.02, x + s * 0.28, y + s * 0.5), colour)
        c.shape("ellipse", (x - s * 0.12, y + s * 0.08, x + s * 0.12, y + s * 0.42), muzzle, flat=True)
        for k in (-1, 1):
            c.shape(
                "ellipse",
                (x + k * s * 0.14 - s * 0.08, y + s * 0.42, x + k * s * 0.14 + s * 0.08, y + s * 0.5),
                muzzle,
            )
        c.shape("ellipse", (x - s * 0.22, y - s * 0.42, x + s * 0.22, y + s * 0.04), colour)
        for k in (-1, 1):
            c.shape(
                "polygon",
                ellipse_points(x + k * s * 0.23, y - s * 0.2, s * 0.07, s * 0.16, k * 0.35, 20),
                ear,
            )
        c.shape("ellipse", (x - s * 0.13, y - s * 0.2, x + s * 0.13, y + s * 0.02), muzzle)
        c.detail("ellipse", (x - s * 0.05, y - s * 0.17, x + s * 0.05, y - s * 0.1), INK)
        c.line([(x, y - s * 0.1), (x, y - s * 0.05)], INK, s * 0.012)
        c.line(
            [(x - s * 0.06, y - s * 0.03), (x, y - s * 0.05), (x + s * 0.06, y - s * 0.03)], INK, s * 0.012
        )
        c.detail("ellipse", (x - s * 0.035, y - s * 0.04, x + s * 0.035, y + s * 0.05), (235, 110, 130))
        for k in (-1, 1):
            ex, ey = x + k * s * 0.09, y - s * 0.26
            c.detail("ellipse", (ex - s * 0.03, ey - s * 0.035, ex + s * 0.03, ey + s * 0.035), INK)
            c.detail("ellipse", (ex - s * 0.018, ey - s * 0.026, ex - s * 0.004, ey - s * 0.012), WHITE)
        c.detail("rect", (x - s * 0.15, y + s * 0.03, x + s * 0.15, y + s * 0.07), (200, 50, 50))

    def draw_person(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        skin = SKIN[int(rng.integers(len(SKIN)))]
        hair = ((60, 40, 30), (20, 20, 25), (200, 150, 80), (150, 70, 40))[int(rng.integers(4))]
        legs = shift(colour, -0.25, 0.6)
        for k in (-1, 1):
            c.shape(
                "rect",
                (x + k * s * 0.06 - s * 0.04, y + s * 0.15, x + k * s * 0.06 + s * 0.04, y + s * 0.48),
                legs,
            )
        c.line([(x - s * 0.12, y - s * 0.12), (x - s * 0.2, y + s * 0.12)], skin, s * 0.05)
        c.line([(x + s * 0.12, y - s * 0.12), (x + s * 0.2, y + s * 0.12)], skin, s * 0.05)
        c.shape(
            "polygon",
            [
                (x - s * 0.11, y - s * 0.17),
                (x + s * 0.11, y - s * 0.17),
                (x + s * 0.17, y + s * 0.22),
                (x - s * 0.17, y + s * 0.22),
            ],
            colour,
        )
        c.shape("ellipse", (x - s * 0.1, y - s * 0.4, x + s * 0.1, y - s * 0.18), skin)
        c.detail(
            "polygon",
            [
                *ellipse_points(x, y - s * 0.32, s * 0.105, s * 0.085, 0, 24)[12:],
                (x + s * 0.105, y - s * 0.3),
            ],
            hair,
        )
        for k in (-1, 1):
            c.detail(
                "ellipse",
                (x + k * s * 0.04 - s * 0.012, y - s * 0.3, x + k * s * 0.04 + s * 0.012, y - s * 0.27),
                INK,
            )

    def draw_flower(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        green: RGB = (70, 150, 70)
        head_y = y - s * 0.18
        c.line([(x, y + s * 0.5), (x + s * 0.03, y + s * 0.15), (x, head_y)], green, s * 0.04)
        for k in (-1, 1):
            c.shape(
                "polygon",
                ellipse_points(x + k * s * 0.1, y + s * 0.25, s * 0.1, s * 0.04, -k * 0.5, 16),
                green,
            )
        petals = int(rng.integers(5, 9))
        turn = float(rng.uniform(0, 1))
        for i in range(petals):
            a = turn + 2 * math.pi * i / petals
            px, py = x + math.cos(a) * s * 0.14, head_y + math.sin(a) * s * 0.14
            c.shape("polygon", ellipse_points(px, py, s * 0.14, s * 0.07, a, 20), colour)
        core = (250, 200, 60) if _hls(colour)[0] > 0.2 or lightness(colour) < 0.4 else (110, 70, 40)
        c.shape("ellipse", (x - s * 0.07, head_y - s * 0.07, x + s * 0.07, head_y + s * 0.07), core)

    def draw_tree(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        trunk: RGB = (110, 74, 50)
        c.shape(
            "polygon",
            [
                (x - s * 0.05, y + s * 0.5),
                (x + s * 0.05, y + s * 0.5),
                (x + s * 0.03, y - s * 0.05),
                (x - s * 0.03, y - s * 0.05),
            ],
            trunk,
        )
        for k in range(5):
            cx = x + float(rng.uniform(-0.16, 0.16)) * s
            cy = y - s * 0.15 + float(rng.uniform(-0.18, 0.08)) * s
            r = s * float(rng.uniform(0.16, 0.24))
            c.shape("ellipse", (cx - r, cy - r, cx + r, cy + r), shift(colour, 0.03 * (k % 3) - 0.03))

    def draw_pine(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.shape("rect", (x - s * 0.03, y + s * 0.3, x + s * 0.03, y + s * 0.5), (90, 60, 45), flat=True)
        for k in range(3):
            top = y - s * 0.5 + k * s * 0.22
            half = s * (0.16 + 0.07 * k)
            c.shape(
                "polygon",
                [(x, top), (x + half, top + s * 0.34), (x - half, top + s * 0.34)],
                colour,
                flat=c.mode == "shaded",
            )

    def draw_palm(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        lean = float(rng.uniform(-0.2, 0.2)) * s
        trunk = [(x + lean * (t / 10) ** 2, y + s * 0.5 - s * 0.85 * t / 10) for t in range(11)]
        c.line(trunk, (140, 100, 60), s * 0.045)
        tx, ty = trunk[-1]
        for k in range(7):
            a = math.pi * (0.05 + 0.9 * k / 6) + float(rng.uniform(-0.1, 0.1))
            frond = [
                (
                    tx + math.cos(a) * s * 0.3 * t / 6,
                    ty - math.sin(a) * s * 0.14 * t / 6 + s * 0.12 * (t / 6) ** 2,
                )
                for t in range(7)
            ]
            c.line(frond, colour if colour != (74, 150, 80) else (50, 140, 70), s * 0.05)
        c.detail("ellipse", (tx - s * 0.04, ty - s * 0.01, tx + s * 0.04, ty + s * 0.06), (110, 70, 40))

    def draw_house(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        night = self.scene.palette.light == "night"
        roof = ((180, 60, 50), (90, 70, 80), (60, 90, 120), (150, 90, 60))[int(rng.integers(4))]
        left, right, top, bottom = x - s * 0.35, x + s * 0.35, y - s * 0.05, y + s * 0.5
        c.shape("rect", (x + s * 0.15, y - s * 0.4, x + s * 0.24, y - s * 0.1), shift(roof, -0.1))
        c.shape("rect", (left, top, right, bottom), colour)
        c.shape(
            "polygon",
            [(left - s * 0.06, top + s * 0.02), (x, y - s * 0.45), (right + s * 0.06, top + s * 0.02)],
            roof,
        )
        c.detail("rect", (x - s * 0.07, y + s * 0.22, x + s * 0.07, bottom), shift(roof, -0.15))
        glass: RGB = (255, 214, 120) if night else (170, 210, 235)
        for k in (-1, 1):
            wx = x + k * s * 0.2
            c.detail("rect", (wx - s * 0.07, y + s * 0.08, wx + s * 0.07, y + s * 0.22), glass)
            c.line([(wx, y + s * 0.08), (wx, y + s * 0.22)], WHITE, s * 0.012)
            c.line([(wx - s * 0.07, y + s * 0.15), (wx + s * 0.07, y + s * 0.15)], WHITE, s * 0.012)

    def draw_castle(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        bottom = y + s * 0.5
        roof = ((70, 80, 150), (170, 50, 60), (60, 110, 90))[int(rng.integers(3))]
        wall_top = y + s * 0.05
        c.shape("rect", (x - s * 0.4, wall_top, x + s * 0.4, bottom), colour)
        step = s * 0.08
        for k in range(10):
            bx = x - s * 0.4 + k * step
            if k % 2 == 0:
                c.shape("rect", (bx, wall_top - s * 0.05, bx + step, wall_top + 1), colour, flat=True)
        for k in (-1, 1):
            tx = x + k * s * 0.38
            c.shape("rect", (tx - s * 0.09, y - s * 0.2, tx + s * 0.09, bottom), shift(colour, -0.05))
            c.shape(
                "polygon",
                [(tx - s * 0.12, y - s * 0.2), (tx, y - s * 0.45), (tx + s * 0.12, y - s * 0.2)],
                roof,
            )
        c.shape("rect", (x - s * 0.12, y - s * 0.25, x + s * 0.12, bottom), shift(colour, 0.04))
        c.shape(
            "polygon", [(x - s * 0.15, y - s * 0.25), (x, y - s * 0.55), (x + s * 0.15, y - s * 0.25)], roof
        )
        c.line([(x, y - s * 0.55), (x, y - s * 0.68)], INK, s * 0.01)
        c.detail("polygon", [(x, y - s * 0.68), (x + s * 0.1, y - s * 0.64), (x, y - s * 0.6)], roof)
        c.detail("ellipse", (x - s * 0.07, y + s * 0.25, x + s * 0.07, y + s * 0.4), (60, 45, 40))
        c.detail("rect", (x - s * 0.07, y + s * 0.32, x + s * 0.07, bottom), (60, 45, 40))

    def draw_lighthouse(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        bottom = y + s * 0.5
        c.shape("polygon", ellipse_points(x, bottom, s * 0.25, s * 0.07, 0, 20), (110, 100, 95))
        top = y - s * 0.25
        for k in range(5):
            y0 = top + (bottom - top) * k / 5
            y1 = top + (bottom - top) * (k + 1) / 5
            w0 = s * (0.07 + 0.06 * k / 5)
            w1 = s * (0.07 + 0.06 * (k + 1) / 5)
            c.shape(
                "polygon",
                [(x - w0, y0), (x + w0, y0), (x + w1, y1), (x - w1, y1)],
                colour if k % 2 == 0 else WHITE,
            )
        lamp: RGB = (255, 230, 140)
        if self.scene.palette.light != "day":
            c.shape(
                "polygon",
                [(x, top - s * 0.08), (x - s * 1.6, top - s * 0.3), (x - s * 1.6, top + s * 0.1)],
                lamp,
                70,
                flat=True,
            )
        c.detail("rect", (x - s * 0.06, top - s * 0.13, x + s * 0.06, top), lamp)
        c.shape(
            "polygon",
            [(x - s * 0.09, top - s * 0.13), (x, top - s * 0.22), (x + s * 0.09, top - s * 0.13)],
            INK,
        )

    def draw_boat(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        hull_y = y + s * 0.3
        c.shape(
            "polygon",
            [
                (x - s * 0.42, hull_y),
                (x + s * 0.42, hull_y),
                (x + s * 0.3, hull_y + s * 0.14),
                (x - s * 0.3, hull_y + s * 0.14),
            ],
            colour,
        )
        c.line([(x, hull_y), (x, y - s * 0.45)], (90, 70, 50), s * 0.02)
        sail: RGB = (250, 248, 240)
        c.shape(
            "polygon",
            [
                (x + s * 0.02, y - s * 0.42),
                (x + s * 0.02, hull_y - s * 0.05),
                (x + s * 0.32, hull_y - s * 0.05),
            ],
            sail,
        )
        c.shape(
            "polygon",
            [
                (x - s * 0.02, y - s * 0.3),
                (x - s * 0.02, hull_y - s * 0.05),
                (x - s * 0.24, hull_y - s * 0.05),
            ],
            shift(sail, -0.05),
        )
        c.line(
            [(x - s * 0.35, hull_y + s * 0.17), (x + s * 0.35, hull_y + s * 0.17)],
            shift(colour, 0.2),
            s * 0.015,
            120,
        )

    def draw_balloon(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        r = s * 0.3
        cy = y - s * 0.12
        c.line([(x - r * 0.5, cy + r * 1.05), (x - s * 0.06, y + s * 0.33)], (90, 70, 50), s * 0.008)
        c.line([(x + r * 0.5, cy + r * 1.05), (x + s * 0.06, y + s * 0.33)], (90, 70, 50), s * 0.008)
        angles = np.linspace(math.pi * 0.8, math.pi * 2.2, 30).tolist()
        envelope = [(x + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
        envelope += [(x + r * 0.45, cy + r * 1.05), (x - r * 0.45, cy + r * 1.05)]
        c.shape("polygon", envelope, colour)
        stripe = shift(colour, 0.16)
        c.detail("polygon", [(x + (px - x) * 0.4, py) for px, py in envelope], stripe, 220)
        c.detail("rect", (x - s * 0.07, y + s * 0.33, x + s * 0.07, y + s * 0.44), (140, 95, 55))

    def draw_rocket(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        fin = shift(self.scene.palette.accents[0], 0, 1.1)
        body = [(x, y - s * 0.48)]
        for k in range(9):
            t = k / 8
            body.append((x + s * 0.12 * math.sin(0.3 + t * 2.4) ** 0.6, y - s * 0.4 + s * 0.7 * t))
        body = body + [(2 * x - px, py) for px, py in reversed(body[1:])]
        for k in (-1, 1):
            c.shape(
                "polygon",
                [
                    (x + k * s * 0.08, y + s * 0.05),
                    (x + k * s * 0.22, y + s * 0.3),
                    (x + k * s * 0.08, y + s * 0.25),
                ],
                fin,
            )
        c.shape(
            "polygon",
            [(x - s * 0.07, y + s * 0.3), (x + s * 0.07, y + s * 0.3), (x, y + s * 0.5)],
            (250, 150, 40),
        )
        c.detail(
            "polygon",
            [(x - s * 0.04, y + s * 0.3), (x + s * 0.04, y + s * 0.3), (x, y + s * 0.42)],
            (255, 230, 110),
        )
        c.shape("polygon", body, colour)
        c.shape("ellipse", (x - s * 0.055, y - s * 0.2, x + s * 0.055, y - s * 0.09), (120, 190, 230))

    def draw_robot(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        dark = shift(colour, -0.2)
        for k in (-1, 1):
            c.shape(
                "rect",
                (x + k * s * 0.1 - s * 0.045, y + s * 0.25, x + k * s * 0.1 + s * 0.045, y + s * 0.48),
                dark,
            )
            c.line([(x + k * s * 0.2, y - s * 0.02), (x + k * s * 0.3, y + s * 0.16)], dark, s * 0.04)
        c.shape("rect", (x - s * 0.2, y - s * 0.06, x + s * 0.2, y + s * 0.27), colour)
        c.detail(
            "rect", (x - s * 0.08, y + s * 0.02, x + s * 0.08, y + s * 0.12), self.scene.palette.accents[0]
        )
        c.line([(x, y - s * 0.3), (x, y - s * 0.42)], dark, s * 0.015)
        c.detail("ellipse", (x - s * 0.03, y - s * 0.47, x + s * 0.03, y - s * 0.41), (230, 60, 60))
        c.shape("rect", (x - s * 0.16, y - s * 0.31, x + s * 0.16, y - s * 0.08), shift(colour, 0.06))
        for k in (-1, 1):
            ex = x + k * s * 0.07
            c.detail("ellipse", (ex - s * 0.035, y - s * 0.25, ex + s * 0.035, y - s * 0.18), (90, 230, 250))
        c.detail("rect", (x - s * 0.07, y - s * 0.15, x + s * 0.07, y - s * 0.12), dark)

    def draw_mushroom(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.shape(
            "polygon",
            [(x - s * 0.08, y + s * 0.5), (x + s * 0.08, y + s * 0.5), (x + s * 0.06, y), (x - s * 0.06, y)],
            (245, 235, 215),
        )
        cap = [
            (x + s * 0.36 * math.cos(a), y + s * 0.03 - s * 0.36 * math.sin(a))
            for a in np.linspace(0, math.pi, 24).tolist()
        ]
        c.shape("polygon", cap, colour)
        for _ in range(5):
            a, d = float(rng.uniform(0.3, 2.8)), float(rng.uniform(0.3, 0.75))
            sx, sy, r = (
                x + math.cos(a) * s * 0.3 * d,
                y - math.sin(a) * s * 0.3 * d,
                s * float(rng.uniform(0.025, 0.045)),
            )
            c.detail("ellipse", (sx - r, sy - r, sx + r, sy + r), (250, 245, 235))

    def draw_apple(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.line([(x, y - s * 0.25), (x + s * 0.03, y - s * 0.4)], (100, 70, 40), s * 0.03)
        c.shape(
            "polygon", ellipse_points(x + s * 0.1, y - s * 0.35, s * 0.09, s * 0.04, -0.5, 16), (80, 160, 70)
        )
        for k in (-1, 1):
            c.shape(
                "ellipse",
                (x + k * s * 0.08 - s * 0.25, y - s * 0.28, x + k * s * 0.08 + s * 0.25, y + s * 0.35),
                colour,
                flat=k == 1,
            )

    def draw_umbrella(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        c.line([(x, y - s * 0.3), (x, y + s * 0.35)], (60, 50, 45), s * 0.025)
        c.line(
            [
                (x, y + s * 0.35),
                (x + s * 0.02, y + s * 0.42),
                (x + s * 0.07, y + s * 0.43),
                (x + s * 0.09, y + s * 0.38),
            ],
            (60, 50, 45),
            s * 0.025,
        )
        canopy = [
            (x + s * 0.45 * math.cos(a), y - s * 0.02 - s * 0.35 * math.sin(a))
            for a in np.linspace(0, math.pi, 28).tolist()
        ]
        c.shape("polygon", canopy, colour)
        for k in range(1, 4):
            c.line(
                [(x, y - s * 0.37), (x - s * 0.45 + k * s * 0.225, y - s * 0.02)],
                shift(colour, -0.15),
                s * 0.01,
                160,
            )

    def draw_crown(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        bottom, top = y + s * 0.25, y - s * 0.25
        points = [
            (x - s * 0.4, bottom),
            (x - s * 0.42, top),
            (x - s * 0.2, y),
            (x, top - s * 0.05),
            (x + s * 0.2, y),
            (x + s * 0.42, top),
            (x + s * 0.4, bottom),
        ]
        c.shape("polygon", points, colour)
        c.detail("rect", (x - s * 0.4, bottom - s * 0.08, x + s * 0.4, bottom), shift(colour, -0.12))
        for k, jewel in zip((-1, 0, 1), ((200, 40, 60), (40, 120, 220), (40, 170, 90)), strict=True):
            jx = x + k * s * 0.2
            c.detail("ellipse", (jx - s * 0.04, bottom - s * 0.2, jx + s * 0.04, bottom - s * 0.12), jewel)

    def draw_flame(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        base = y + s * 0.4
        for k in (-1, 1):
            c.line(
                [(x - k * s * 0.3, base + s * 0.08), (x + k * s * 0.3, base - s * 0.02)],
                (110, 70, 45),
                s * 0.06,
            )
        layers = ((colour, 1.0), (shift(colour, 0.12, 1.0, 0.04), 0.65), ((255, 240, 160), 0.35))
        for k, (tone, scale) in enumerate(layers):
            # A teardrop: pointed at the top, round at the bottom.
            h, w = s * 0.8 * scale, s * 0.3 * scale
            points = [
                (x + w * math.sin(t) * abs(math.sin(t / 2)) ** 1.5, base - h * (1 + math.cos(t)) / 2)
                for t in np.linspace(0, 2 * math.pi, 40).tolist()
            ]
            c.shape("polygon", points, tone, flat=k > 0)

    def draw_leaf(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        a = float(rng.uniform(0, math.pi))
        c.shape("polygon", ellipse_points(x, y, s * 0.5, s * 0.22, a, 18), colour)
        c.line(
            [
                (x - math.cos(a) * s * 0.5, y - math.sin(a) * s * 0.5),
                (x + math.cos(a) * s * 0.5, y + math.sin(a) * s * 0.5),
            ],
            shift(colour, -0.15),
            max(1.0, s * 0.05),
            180,
        )

    def draw_bubble(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        r = s / 2
        tone = c.tone(colour) if c.mode != "outline" else INK
        c._blend.ellipse(
            (x - r, y - r, x + r, y + r), fill=(*tone, 50), outline=(*tone, 200), width=max(1, round(r * 0.1))
        )
        c.detail("ellipse", (x - r * 0.55, y - r * 0.6, x - r * 0.15, y - r * 0.25), WHITE, 200)

    def draw_butterfly(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        tilt = float(rng.uniform(-0.3, 0.3))
        second = shift(colour, 0.1, 1.0, 0.06)
        for k in (-1, 1):
            c.shape(
                "polygon",
                rotate(
                    ellipse_points(x + k * s * 0.2, y - s * 0.13, s * 0.2, s * 0.15, k * 0.5, 24), x, y, tilt
                ),
                colour,
            )
            c.shape(
                "polygon",
                rotate(
                    ellipse_points(x + k * s * 0.15, y + s * 0.14, s * 0.13, s * 0.1, -k * 0.6, 20),
                    x,
                    y,
                    tilt,
                ),
                second,
            )
            dot = rotate([(x + k * s * 0.22, y - s * 0.15)], x, y, tilt)[0]
            c.detail(
                "ellipse",
                (dot[0] - s * 0.04, dot[1] - s * 0.04, dot[0] + s * 0.04, dot[1] + s * 0.04),
                WHITE,
                200,
            )
            tip = rotate([(x + k * s * 0.1, y - s * 0.36)], x, y, tilt)[0]
            c.line([rotate([(x, y - s * 0.2)], x, y, tilt)[0], tip], INK, s * 0.012)
        c.line(rotate([(x, y - s * 0.22), (x, y + s * 0.25)], x, y, tilt), INK, s * 0.05)

    def draw_fish(
        self, c: Canvas, x: float, y: float, s: float, colour: RGB, rng: np.random.Generator
    ) -> None:
        k = 1 if rng.random() < 0.5 else -1
        c.shape(
            "polygon",
            [(x - k * s * 0.22, y), (x - k * s * 0.45, y - s * 0.17), (x - k * s * 0.45, y + s * 0.17)],
            shift(colour, -0.08),
        )
        c.shape("polygon", ellipse_points(x + k * s * 0.05, y, s * 0.3, s * 0.17, 0, 28), colour)
        c.detail(
            "polygon",
            [(x, y - s * 0.15), (x + k * s * 0.12, y - s * 0.26), (x + k * s * 0.16, y - s * 0.13)],
            shift(colour, -0.08),
        )
        ex = x + k * s * 0.22
        c.detail("ellipse", (ex - s * 0.035, y - s * 0.07, ex + s * 0.035, y), WHITE)
        c.detail("ellipse", (ex - s * 0.018, y - s * 0.055, ex + s * 0.018, y - s * 0.015), INK)


def finish(image: Image.Image, hints: SketchHints, rng: np.random.Generator) -> Image.Image:
    """The style's treatment of the whole picture: glow, softening, texture."""
    w, h = image.size
    u = min(w, h) / 1024
    if hints.rendering == "glow":
        # The glow is a blurred copy at a quarter size, screened over the sharp picture.
        small = image.reduce(4).filter(ImageFilter.BoxBlur(max(1.0, 5 * u)))
        image = ImageChops.screen(image, small.resize((w, h), Image.Resampling.BILINEAR))
    if hints.blur > 0:
        image = image.filter(ImageFilter.BoxBlur(hints.blur * u))
    if hints.texture == "none":
        return image
    if hints.texture == "vignette":
        ys = np.linspace(-1, 1, 64, dtype=np.float32)
        grid = 1 - 0.45 * np.clip((ys[:, None] ** 2 + ys[None, :] ** 2) / 2 - 0.1, 0, 1) ** 1.2
        mask = Image.fromarray((grid * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    elif hints.texture == "paper":
        # Broad, faint mottling, as of paper that took the water unevenly.
        mottle = 1 - rng.uniform(0, 0.045, (16, 16))
        mask = Image.fromarray((mottle * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BICUBIC)
    else:
        # A weave: a fine cross-hatch repeating every 6 pixels.
        weave = np.full((6, 6), 255, np.uint8)
        weave[0, :] = 228
        weave[:, 0] = 232
        weave[3, 3] = 240
        mask = Image.fromarray(np.tile(weave, (h // 6 + 1, w // 6 + 1))[:h, :w], "L")
    return ImageChops.multiply(image, Image.merge("RGB", (mask, mask, mask)))


def pixelate(image: Image.Image, colours: int, size: tuple[int, int]) -> Image.Image:
    """A small picture in a limited palette, scaled up with hard pixel edges."""
    if colours > 0:
        image = image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).convert(
            "RGB"
        )
    return image.resize(size, Image.Resampling.NEAREST)


def draw_caption(image: Image.Image, text: str, hints: SketchHints) -> None:
    """The prompt along the bottom, in Pillow's own font (a fresh machine has no other)."""
    text = " ".join(text.split())
    if not text:
        return
    w, h = image.size
    u = min(w, h) / 1024
    size = max(11, round(30 * u))
    font = ImageFont.load_default(size=size)
    margin = round(28 * u)
    pad = round(14 * u)
    lines = _wrap(text, font, w - 2 * margin - 2 * pad, 2)
    line_h = size * 1.3
    box_h = line_h * len(lines) + 2 * pad - size * 0.3
    top = h - margin - box_h
    widest = max(font.getlength(line) for line in lines)
    draw = ImageDraw.Draw(image, "RGBA")
    if hints.pixel_size > 1:
        draw.fontmode = "1"  # crisp, like the pixels around it
    if hints.backdrop == "paper":
        card, ink = (255, 255, 255, 0), (*INK, 255)
    else:
        card, ink = (16, 16, 24, 150), (250, 250, 250, 255)
    draw.rounded_rectangle(
        (margin, top, margin + widest + 2 * pad, h - margin), radius=round(10 * u), fill=card
    )
    for i, line in enumerate(lines):
        draw.text((margin + pad, top + pad + i * line_h), line, font=font, fill=ink)


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float, max_lines: int
) -> list[str]:
    """At most ``max_lines`` lines of whole words, the last cut with an ellipsis if the text runs on.
    Each measurement covers at most a line and a word, so a long prompt costs what a short one does."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
        elif current and len(lines) < max_lines - 1:
            lines.append(_ellipsize(current, font, width))
            current = word
        else:
            current = candidate + " …"  # more follows: the ellipsis below must show it
            break
    lines.append(_ellipsize(current, font, width))
    return lines


def _ellipsize(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> str:
    """The text if it fits, else its longest start that fits with an ellipsis (by bisection)."""
    if font.getlength(text) <= width:
        return text
    low, high = 0, min(len(text), 400)  # no line at the smallest size holds 400 characters
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def fit_init_image(data: bytes, size: tuple[int, int], max_pixels: int) -> Image.Image:
    """The image-to-image source, upright, cropped and scaled to fill ``size``."""
    import io

    with Image.open(io.BytesIO(data)) as source:
        if source.width * source.height > max_pixels:
            raise ValueError(f"{source.width}x{source.height} is larger than {max_pixels} pixels")
        source.draft("RGB", size)
        upright = ImageOps.exif_transpose(source)
        if upright.mode in ("RGBA", "LA", "P", "PA"):
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, WHITE)
            flat.paste(rgba, mask=rgba.getchannel("A"))
            upright = flat
        return ImageOps.fit(upright.convert("RGB"), size, Image.Resampling.BILINEAR)


def repaint(source: Image.Image, palette: Palette, strength: float) -> Image.Image:
    """The source's light and shade in the prompt's colours (a gradient map), mixed into the source
    by ``strength`` (0 gives the source back)."""
    stops = [
        shift(palette.sky_top, -0.1),
        palette.accents[0],
        palette.sky_bottom,
        with_light(palette.sky_bottom, 0.95),
    ]
    if palette.tint is not None:
        stops[1] = palette.tint
    positions = np.linspace(0, 255, len(stops))
    levels = np.arange(256)
    lut = np.stack([np.interp(levels, positions, [c[i] for c in stops]) for i in range(3)], axis=1).astype(
        np.uint8
    )
    gray = np.asarray(source.convert("L"))
    mapped = Image.fromarray(lut[gray], "RGB")
    return Image.blend(source, mapped, 0.85 * strength)
