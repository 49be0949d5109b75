"""Generate a synthetic library of seed-like article files for benchmarks and tests.

The reader must stay fast on folders of tens of thousands of articles, but a real corpus that
size cannot be shipped with the repository. This module writes one on demand: files that look
like the real example (same front-matter fields, two related stories with images, an opaque
``secured`` blob, about 3.2 KB each), spread over nested ``YYYY/MM`` folders, with the
irregularities a reader has to cope with in realistic proportions: drafts, ``heat: -1``,
mojibake in titles, Markdown bodies, ``.txt`` endings, related stories that point at other
articles in the same corpus.

Everything is drawn from ``random.Random(seed)``, so the same arguments always give
byte-identical files: a benchmark or a snapshot test can regenerate its input instead of
storing it.

Usage::

    python tests/bench/corpus.py FOLDER COUNT [--seed N]

or from Python: ``write_corpus(folder, count, seed)``.
"""

from __future__ import annotations

import argparse
import base64
import os
import pathlib
import random
import sys
import time
from datetime import UTC, datetime, timedelta

# No string in these lists may contain '"' or '\': articles are rendered straight into
# double-quoted YAML scalars with f-strings, and only the rare mojibake text is escaped.
# fmt: off
TOPICS = [
    "AI", "Computer Vision", "Privacy", "Cybersecurity", "Climate", "Space", "Semiconductors",
    "Quantum Computing", "Robotics", "Open Source", "Biotech", "Energy", "Regulation", "Cloud",
    "Machine Learning", "Natural Language Processing", "Autonomous Vehicles", "Drones",
    "Batteries", "Electric Vehicles", "Nuclear", "Hydrogen", "Telecom", "5G", "Satellites",
    "Genomics", "Vaccines", "Healthcare", "Fintech", "Cryptocurrency", "Gaming", "AR and VR",
    "Wearables", "Smart Home", "Supply Chain", "Agritech", "Education", "Developer Tools",
    "Data Centers", "Biometrics",
]

# Each object is tied to the topic it is mostly about, so a title and its first topic agree.
OBJECTS = [
    ("edge AI chips", "Semiconductors"), ("facial recognition", "Computer Vision"),
    ("quantum-safe encryption", "Quantum Computing"), ("open-source firmware", "Open Source"),
    ("carbon capture", "Climate"), ("satellite broadband", "Satellites"),
    ("synthetic training data", "Machine Learning"), ("zero-trust networks", "Cybersecurity"),
    ("solid-state batteries", "Batteries"), ("large language models", "Natural Language Processing"),
    ("RISC-V processors", "Semiconductors"), ("digital identity wallets", "Privacy"),
    ("heat pumps", "Energy"), ("gene therapies", "Biotech"), ("warehouse robots", "Robotics"),
    ("passwordless login", "Cybersecurity"), ("green hydrogen", "Hydrogen"),
    ("self-driving trucks", "Autonomous Vehicles"), ("smart meters", "Smart Home"),
    ("mRNA vaccines", "Vaccines"), ("confidential computing", "Cloud"),
    ("drone delivery", "Drones"), ("small modular reactors", "Nuclear"),
    ("bug bounty programmes", "Cybersecurity"), ("private 5G networks", "5G"),
    ("chiplet designs", "Semiconductors"), ("federated learning", "Machine Learning"),
    ("deepfake detection", "Computer Vision"), ("reusable rockets", "Space"),
    ("lunar landers", "Space"), ("fast chargers", "Electric Vehicles"),
    ("grid-scale storage", "Energy"), ("CRISPR diagnostics", "Genomics"),
    ("remote patient monitoring", "Healthcare"), ("instant payments", "Fintech"),
    ("stablecoins", "Cryptocurrency"), ("cloud gaming", "Gaming"),
    ("mixed reality headsets", "AR and VR"), ("health-tracking rings", "Wearables"),
    ("chip supply contracts", "Supply Chain"), ("vertical farms", "Agritech"),
    ("AI tutors", "Education"), ("code assistants", "Developer Tools"),
    ("liquid-cooled servers", "Data Centers"), ("voice biometrics", "Biometrics"),
    ("humanoid robots", "Robotics"), ("open-weight AI models", "AI"),
    ("AI audits", "Regulation"), ("cookie banners", "Privacy"), ("ransomware insurance", "Cybersecurity"),
    ("sovereign clouds", "Cloud"), ("undersea cables", "Telecom"), ("exascale supercomputers", "Data Centers"),
    ("protein folding models", "Biotech"), ("EV battery recycling", "Batteries"),
    ("smart glasses", "AR and VR"), ("crop-spraying drones", "Agritech"),
    ("emotion recognition", "AI"), ("space debris tracking", "Space"), ("offshore wind", "Energy"),
]

SUBJECTS = [
    "Regulators", "Chipmakers", "Researchers", "Startups", "Cloud providers", "Hospitals",
    "Carmakers", "Telecom operators", "Open-source maintainers", "Space agencies", "Banks",
    "Universities", "Utilities", "Lawmakers", "Insurers", "Game studios", "Retailers",
    "Airlines", "Farmers", "City councils", "Security teams", "Browser makers",
    "Satellite operators", "Battery makers", "Drug developers", "Robot makers", "Ad networks",
    "Streaming services", "Logistics firms", "Defence ministries", "Data protection authorities",
    "Investors", "Hackers", "Smartphone makers", "Schools", "Energy traders", "Court rulings",
    "Privacy advocates", "Standards bodies", "European ministers", "US senators",
    "Asian manufacturers", "Independent labs", "Hyperscalers",
]

VERBS = [
    "bet on", "push back on", "race to adopt", "quietly drop", "double down on", "rethink",
    "struggle with", "cash in on", "warn about", "team up on", "pour billions into", "pilot",
    "scale back", "open up", "put to the test", "weigh rules for", "embrace", "call for limits on",
    "audit", "lobby against", "bring back", "outgrow", "stumble over", "fast-track",
    "take a closer look at", "spend big on", "cool on", "turn to", "shrug off", "set targets for",
    "clash over", "get serious about", "hit pause on", "find new uses for", "catch up on",
    "back away from", "speed up", "slow down", "share data on", "benchmark",
]

QUALIFIERS = [
    "", "", "", "this year", "amid chip shortage", "after outage", "despite privacy concerns",
    "as costs fall", "in Europe", "in Asia", "ahead of new rules", "after pilot success",
    "as demand soars", "under investor pressure", "for the first time", "at scale",
    "in a crowded market", "after a string of failures", "as rivals close in",
    "with mixed results", "behind closed doors", "in record time", "before the next election",
    "as prices climb", "in a landmark deal", "after years of delay", "on a tight budget",
    "to meet climate goals", "as talent runs short", "in the US", "in Africa",
]

AUDIENCES = [
    "consumers", "small businesses", "hospitals", "developers", "regulators", "investors",
    "local governments", "schools", "farmers", "commuters", "patients", "small publishers",
]
OUTCOMES = [
    "could cut costs sharply", "may be harder to deploy than promised", "will work best at scale",
    "could raise new security questions", "may finally be ready for production",
    "may still lack a killer application", "could reshape the market within five years",
    "may be more mature than critics admit", "will depend on a handful of suppliers",
]
CAVEATS = [
    "the data is thin", "costs remain high", "standards are still missing",
    "the rollout could take years", "independent tests are scarce",
    "the rules are still being written", "supply remains tight",
]
CATEGORIES = ["news", "news", "news", "research", "opinion", "analysis", "analysis"]

# ~200 invented outlets, built from two word lists so names and domains stay plausible.
_FIRST = [
    "Orbit", "Silicon", "Signal", "Circuit", "Quantum", "Data", "Pixel", "Carbon", "Kernel",
    "Vector", "Photon", "Helix", "Grid", "Cipher", "Cloud", "Robot", "Lab", "Policy", "Byte",
    "Future",
]
_SECOND = ["Wire", "Ledger", "Dispatch", "Report", "Review", "Daily", "Weekly", "Times", "Journal", "Monitor"]
_TLDS = ["com", "net", "org", "io", "tech", "news", "co.uk", "eu", "dev", "info"]
# fmt: on
PROVIDERS = [
    (f"{a} {b}", f"{a.lower()}{b.lower()}.{_TLDS[(i * 3 + j) % len(_TLDS)]}")
    for i, a in enumerate(_FIRST)
    for j, b in enumerate(_SECOND)
]

IMAGE_SIZES = [(800, 533), (600, 450), (1200, 675), (1024, 576), (640, 360), (960, 640)]

_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
_SPAN_MINUTES = (datetime(2022, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(minutes=1)


def _mojibake(text: str) -> str:
    # What a UTF-8 file looks like after someone read it as cp1252; the bytes cp1252 leaves
    # undefined come through as latin-1 control characters, as they do in the wild.
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in text.encode("utf-8")
    )


def _yaml_escape(text: str) -> str:
    # Only mojibake text needs this: it can hold C1 controls, which YAML refuses unescaped.
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    return "".join(out)


# str.translate keeps slugging cheap; it runs several times per article.
_SLUG_TABLE = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"})


def _slug(text: str) -> str:
    return "-".join(text.lower().translate(_SLUG_TABLE).split())


def _stamp(rng: random.Random) -> tuple[datetime, str]:
    when = _EPOCH + timedelta(minutes=rng.randrange(_SPAN_MINUTES))
    return when, when.strftime("%Y-%m-%dT%H:%M:00Z")


def _title(rng: random.Random) -> tuple[str, str, str]:
    """Return (title, object, topic of the object)."""
    obj, topic = rng.choice(OBJECTS)
    qual = rng.choice(QUALIFIERS)
    title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {obj}"
    if qual:
        title = f"{title} {qual}"
    return title, obj, topic


def _excerpt(rng: random.Random, obj: str) -> str:
    form = rng.randrange(3)
    if form == 0:
        return f"Early results suggest {obj} {rng.choice(OUTCOMES)}, though critics warn {rng.choice(CAVEATS)}."
    if form == 1:
        return (
            f"The move follows months of debate over {obj} and what it means for "
            f"{rng.choice(AUDIENCES)} and {rng.choice(AUDIENCES)}."
        )
    return (
        f"Analysts say {obj} {rng.choice(OUTCOMES)}. The question now is whether "
        f"{rng.choice(AUDIENCES)} will pay for it."
    )


def _external(rng: random.Random, when: datetime) -> tuple[str, str, str, str, int, int]:
    """A related story from outside the corpus: (title, excerpt, date, webUrl, provider index, quality)."""
    title, obj, _ = _title(rng)
    then = when + timedelta(minutes=rng.randrange(-7 * 1440, 2 * 1440))
    p = rng.randrange(len(PROVIDERS))
    web = f"https://www.{PROVIDERS[p][1]}/story/{rng.randrange(10**7):07d}-{_slug(title)}"
    return (title, _excerpt(rng, obj), then.strftime("%Y-%m-%dT%H:%M:00Z"), web, p, rng.randrange(101))


def write_corpus(folder: pathlib.Path, count: int, seed: int = 0) -> list[pathlib.Path]:
    """Write `count` article files under `folder` (folder/YYYY/MM/NNNNNN_<hex>.md) and return their paths.

    The same (count, seed) always gives byte-identical files; a larger count with the same seed
    is not a superset of a smaller one.
    """
    folder = pathlib.Path(folder)
    rng = random.Random(seed)

    # First pass: identities only, so a related story can point at any article, earlier or later.
    metas = []
    for i in range(count):
        when, stamp = _stamp(rng)
        title, obj, topic = _title(rng)
        excerpt = _excerpt(rng, obj)
        # Like the seed, the URL carries the headline's slug; repeated in four URL fields, it is
        # a good share of the file size that benchmarks depend on.
        slug = _slug(title)
        if rng.random() < 0.02:
            title = rng.choice(
                [
                    f"{title}, and critics don’t like it",
                    f"{title} — what it means",
                    f"“{title}”, say analysts",
                    f"{title}: Europe’s next fight",
                ]
            )
            title = _yaml_escape(_mojibake(title))
        p = rng.randrange(len(PROVIDERS))
        section = _slug(topic)
        web = f"https://www.{PROVIDERS[p][1]}/{section}/{i + 100000}-{slug}"
        metas.append((when, stamp, title, excerpt, web, p, rng.randrange(101), topic))

    paths = []
    made = set()
    for i, (when, stamp, title, excerpt, web, p, quality, topic) in enumerate(metas):
        pname, pdomain = PROVIDERS[p]
        topics = [topic]
        for _ in range(rng.randrange(3)):
            extra = rng.choice(TOPICS)
            if extra not in topics:
                topics.append(extra)
        heat = -1 if rng.random() < 0.10 else rng.randrange(101)
        published = "false" if rng.random() < 0.03 else "true"
        category = rng.choice(CATEGORIES)
        kind = "video" if rng.random() < 0.02 else "article"
        path_part = web.split("/", 3)[3]
        amp_host = pdomain.replace("-", "--").replace(".", "-")
        cdn = f"https://www-{amp_host}.cdn.ampproject.org/c/s/www.{pdomain}/{path_part}?amp"

        related = []
        for _ in range(2):
            if count > 1 and rng.random() < 0.3:
                j = rng.randrange(count - 1)
                j += j >= i  # never point at itself
                m = metas[j]
                r = (m[2], m[3], m[1], m[4], m[5], m[6])
            else:
                r = _external(rng, when)
            rtitle, rexcerpt, rstamp, rweb, rp, rq = r
            rname, rdomain = PROVIDERS[rp]
            w, h = rng.choice(IMAGE_SIZES)
            cached = "true" if rng.random() < 0.85 else "false"
            image = f"https://cdn.{rdomain}/images/{rstamp[:4]}/{rstamp[5:7]}/{rng.getrandbits(64):016x}.jpg"
            image += f"?w={w}&h={h}&fit=min"
            related.append(
                f'  - title: "{rtitle}"\n'
                f'    excerpt: "{rexcerpt}"\n'
                f"    publishedDateTime: {rstamp}\n"
                f'    webUrl: "{rweb}"\n'
                f"    type: article\n"
                f"    provider:\n"
                f"      name: {rname}\n"
                f"      domain: {rdomain}\n"
                f"    quality: {rq}\n"
                f"    images:\n"
                f'      - url: "{image}"\n'
                f"        width: {w}\n"
                f"        height: {h}\n"
                f"        isCached: {cached}\n"
            )

        # Sized like the seed's blob: AES-looking ciphertext (a multiple of 16 bytes) and a 16-byte IV.
        blob = base64.b64encode(rng.randbytes(16 * rng.randint(34, 48))).decode()
        iv = base64.b64encode(rng.randbytes(16)).decode()

        body = ""
        if rng.random() < 0.05:
            audience = rng.choice(AUDIENCES)
            body = (
                f"{excerpt}\n\n"
                f"What to watch for {audience}:\n\n"
                f"- {rng.choice(OUTCOMES).capitalize()};\n"
                f"- {rng.choice(CAVEATS).capitalize()};\n"
                f"- {rng.choice(CAVEATS).capitalize()}.\n\n"
                f"More in [the full report]({web}).\n"
            )

        topic_lines = "".join(f"  - {t}\n" for t in topics)
        text = (
            "---\n"
            f"category: {category}\n"
            f'title: "{title}"\n'
            f'excerpt: "{excerpt}"\n'
            f"publishedDateTime: {stamp}\n"
            f'originalUrl: "{web}"\n'
            f'webUrl: "{web}"\n'
            f'ampWebUrl: "{web}?amp"\n'
            f'cdnAmpWebUrl: "{cdn}"\n'
            f"type: {kind}\n"
            f"quality: {quality}\n"
            f"heat: {heat}\n"
            f"published: {published}\n"
            "\n"
            "provider:\n"
            f"  name: {pname}\n"
            f"  domain: {pdomain}\n"
            "\n"
            "topics:\n"
            f"{topic_lines}"
            "\n"
            "related:\n"
            f"{related[0]}{related[1]}"
            "\n"
            f'secured: "{blob};{iv}"\n'
            "---\n"
            f"\n{body}"
        )

        sub = folder / f"{when.year:04d}" / f"{when.month:02d}"
        if sub not in made:
            sub.mkdir(parents=True, exist_ok=True)
            made.add(sub)
        ext = "txt" if rng.random() < 0.04 else "md"
        path = sub / f"{i:06d}_{rng.getrandbits(64):016x}.{ext}"
        # os.open skips the buffered-file layer (and its isatty probe): a measurable share of
        # the time at 100,000 files.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic article corpus.")
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("COUNT must be >= 0")
    start = time.perf_counter()
    paths = write_corpus(args.folder, args.count, args.seed)
    print(f"wrote {len(paths)} files to {args.folder} in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
