#!/usr/bin/env python3
"""Generates a synthetic content site in galley's import format, for the benchmark (run.sh).

    gen_site.py OUT_DIR [--pages N] [--hubs H] [--seed S] [--paths K]
                [--paths-out FILE] [--words-out FILE]

OUT_DIR gets one Markdown file per page: `_index.md` (the home page), `<hub>/_index.md` (a hub's
own page) and `<hub>/<slug>.md` (its pages), each with TOML front matter between `+++` lines.
N counts every page (home and hubs included); by default there is one hub per ~200 pages, at most
50. Bodies are 1,000-2,000 words from a fixed vocabulary with Zipf-like frequencies, 4-8 `##`/`###`
headings, internal links, a table in about a quarter of the pages, and a "Frequently asked
questions" section with 2-4 `### Question?` sub-headings in about a third. The same seed always
gives the same site.

--paths-out gets K page URLs (`/`, every hub, then random pages), shuffled, one a line.
--words-out gets ~200 vocabulary words (for search queries), one a line.
Python 3 standard library only.
"""

import argparse
import json
import os
import random
import sys

# Common English words, most frequent first (function words get the highest Zipf weights).
COMMON = """the of and to a in is that for it as with be on not this are by or from at which but
have an they you was their can more all one has will there been other when we would about so if
its also these what some into than only them may most then such any each many time over how used
new first should where both because well way between through must after two same even much make
those under while very need people before often without part does just every work few still long
however set while use data case since three could being against another point different small
large different number good within place right form order change still found given less example
important common course system world high early given during level general state until last within
across around among whether able possible better best clear simple real likely true hard full whole
open rather quite already though almost enough toward again always never later soon together""".split()

# Domain words: the "content" of the site (publishing, software, operations, writing).
DOMAIN = """page site content editor article section heading summary draft revision publish
schedule archive index search query result cache server client request response header status
database table column record schema migration backup restore replica primary query transaction
lock latency throughput memory storage disk network socket connection pool thread worker process
queue message event stream batch job task scheduler timer deadline budget limit quota metric
dashboard alert incident outage recovery rollback release deploy build pipeline artifact package
module library function method interface contract version branch commit review merge conflict test
suite fixture benchmark profile trace log audit policy role account session token password key
certificate domain address route path link anchor slug sitemap feed crawler robot ranking keyword
snippet description title author reader visitor audience newsletter subscriber campaign template
layout theme style font image caption figure diagram chart glossary definition term concept
principle pattern practice guideline checklist workflow process handbook manual reference tutorial
guide lesson chapter topic category tag label taxonomy hierarchy navigation menu breadcrumb footer
sidebar widget component block paragraph sentence phrase word character encoding unicode locale
language translation region timezone calendar date hour minute second duration interval window
threshold baseline target goal estimate forecast report analysis insight signal noise sample
average median percentile distribution variance outlier spike trend growth decline capacity
headroom scaling partition shard cluster node region zone failover election consensus quorum
replication snapshot checkpoint compaction vacuum index statistics planner optimizer executor
parser renderer compiler interpreter runtime allocator collector buffer stack heap pointer
reference ownership borrow lifetime trait generic closure iterator future promise callback
handler middleware router endpoint resource representation hypermedia payload format markdown
html stylesheet script asset bundle compression checksum hash signature digest entropy random
seed simulation model experiment hypothesis evidence observation measurement accuracy precision
recall coverage regression validation verification specification requirement constraint
dependency integration deployment environment configuration variable secret credential vault
permission access boundary firewall proxy gateway balancer health readiness liveness probe""".split()

VERBS = """builds stores renders serves caches checks updates reads writes sends keeps moves
splits merges tracks limits measures reports returns accepts rejects handles explains describes
shows lists links groups sorts filters maps covers protects replaces removes creates adds loads
saves publishes schedules indexes compresses verifies signs parses formats streams""".split()

ADJECTIVES = """fast slow small large simple complex stable fragile secure public private
internal external local remote static dynamic cached fresh stale recent older modern legacy
careful quick reliable consistent durable readable visible hidden optional required default
custom primary secondary shared separate single multiple partial complete global regional
weekly daily manual automatic gradual sudden typical rare frequent useful practical""".split()


def zipf_weights(n, s=0.9):
    return [1.0 / ((i + 1) ** s) for i in range(n)]


class Writer:
    def __init__(self, rng):
        self.rng = rng
        # One vocabulary, common words first, so the Zipf weights favour them.
        seen = set()
        vocab = []
        for w in COMMON + DOMAIN + ADJECTIVES + VERBS:
            if w not in seen:
                seen.add(w)
                vocab.append(w)
        self.vocab = vocab
        self.cum = []
        total = 0.0
        for w in zipf_weights(len(vocab)):
            total += w
            self.cum.append(total)
        self.total = total
        self.domain = [w for w in DOMAIN if w not in set(COMMON)]

    def word(self):
        r = self.rng.random() * self.total
        # Binary search over the cumulative weights.
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        return self.vocab[lo]

    def sentence(self, n=None):
        rng = self.rng
        n = n or rng.randint(8, 22)
        words = [self.word() for _ in range(n)]
        # A subject-verb shape now and then keeps it readable-ish.
        if n > 5 and rng.random() < 0.6:
            words[1] = rng.choice(self.domain)
            words[2] = rng.choice(VERBS)
        if rng.random() < 0.08:
            i = rng.randrange(n)
            words[i] = "**" + words[i] + "**"
        elif rng.random() < 0.08:
            i = rng.randrange(n)
            words[i] = "`" + words[i] + "`"
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def title(self, n_min=2, n_max=5):
        rng = self.rng
        words = [rng.choice(ADJECTIVES)] + [
            rng.choice(self.domain) for _ in range(rng.randint(n_min - 1, n_max - 1))
        ]
        text = " ".join(words)
        return text[0].upper() + text[1:]

    def summary(self):
        """About 150 characters: whole sentences, the last one cut at a word boundary."""
        text = ""
        while len(text) < 150:
            text = (text + " " + self.sentence()).strip()
        if len(text) > 160:
            text = text[:158].rsplit(" ", 1)[0].rstrip(".,") + "."
        return text.replace("**", "").replace("`", "")


def slugify(text):
    out = []
    for ch in text.lower():
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    slug = "-".join(p for p in "".join(out).split("-") if p)
    return slug[:60].rstrip("-") or "page"


def unique(slug, taken):
    candidate, n = slug, 2
    while candidate in taken:
        candidate = f"{slug}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def toml_string(s):
    # JSON string escapes are valid TOML basic-string escapes for this ASCII text.
    return json.dumps(s, ensure_ascii=True)


def front_matter(title, summary, order, in_nav):
    return (
        "+++\n"
        f"title = {toml_string(title)}\n"
        f"summary = {toml_string(summary)}\n"
        'status = "published"\n'
        f"order = {order}\n"
        f"in_nav = {'true' if in_nav else 'false'}\n"
        "+++\n\n"
    )


def body(w, rng, pages, own_path):
    """A 1,000-2,000 word Markdown body; `pages` is a list of (path, title) link targets."""
    # Aim inside 1,000-2,000 words: paragraphs, lists and the FAQ overshoot the aim a little.
    target = rng.randint(1080, 1820)
    count = 0
    out = []

    def paragraph(min_s=2, max_s=6, links=0):
        nonlocal count
        sentences = [w.sentence() for _ in range(rng.randint(min_s, max_s))]
        for _ in range(links):
            path, title = rng.choice(pages)
            if path == own_path:
                continue
            i = rng.randrange(len(sentences))
            text = title.lower()
            sentences[i] = sentences[i][:-1] + f", see [{text}]({path})."
        p = " ".join(sentences)
        count += len(p.split())
        out.append(p + "\n")

    faq = rng.random() < 1 / 3
    table = rng.random() < 0.25
    headings = rng.randint(4, 8)
    # Intro.
    paragraph(3, 6, links=1)
    reserve = 180 if faq else 0  # the FAQ section's share
    limit = target - reserve
    budget_per_section = max(40, (limit - count - 80) // headings)
    table_at = rng.randrange(headings) if table else -1
    for h in range(headings):
        level = "##" if h == 0 or rng.random() < 0.6 else "###"
        out.append(f"{level} {w.title(2, 4)}\n")
        count += 4
        start = count
        while True:
            paragraph(2, 6, links=1 if rng.random() < 0.5 else 0)
            if count - start >= budget_per_section or count >= limit:
                break
        if rng.random() < 0.3 and count < limit:
            items = [f"- {w.sentence(rng.randint(5, 12))}" for _ in range(rng.randint(3, 6))]
            count += sum(len(i.split()) for i in items)
            out.append("\n".join(items) + "\n")
        if h == table_at:
            cols = rng.randint(3, 5)
            head = [w.title(1, 2) for _ in range(cols)]
            rows = [
                "| " + " | ".join(head) + " |",
                "|" + "|".join(["---"] * cols) + "|",
            ]
            for _ in range(rng.randint(3, 8)):
                cells = [
                    str(rng.randint(1, 9999)) if c and rng.random() < 0.4 else w.word()
                    for c in range(cols)
                ]
                rows.append("| " + " | ".join(cells) + " |")
                count += cols
            out.append("\n".join(rows) + "\n")
    # Top up to the target length before the FAQ.
    while count < limit:
        paragraph(2, 5, links=1 if rng.random() < 0.3 else 0)
    if faq:
        out.append("## Frequently asked questions\n")
        for _ in range(rng.randint(2, 4)):
            q = w.sentence(rng.randint(5, 10))[:-1]
            starter = rng.choice(["What is", "How does", "Why does", "When should", "Can"])
            out.append(f"### {starter} {q[0].lower() + q[1:]}?\n")
            paragraph(1, 3, links=0)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--hubs", type=int, default=0, help="default: pages/200, 1..50")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--paths-out")
    ap.add_argument("--words-out")
    args = ap.parse_args()
    if args.pages < 3:
        sys.exit("gen_site.py: --pages must be at least 3")

    rng = random.Random(args.seed)
    w = Writer(rng)
    hubs = args.hubs or max(1, min(50, round(args.pages / 200)))
    hubs = min(hubs, args.pages - 2)
    leaves = args.pages - 1 - hubs

    taken_hubs = set()
    hub_list = []  # (slug, title)
    for _ in range(hubs):
        title = w.title(1, 3)
        hub_list.append((unique(slugify(title), taken_hubs), title))
    # Distribute leaves evenly (the first hubs take the remainder).
    site = []  # (hub index or None, slug, title)
    for i, (slug, title) in enumerate(hub_list):
        site.append((i, None, title))
    per_hub = [leaves // hubs + (1 if i < leaves % hubs else 0) for i in range(hubs)]
    taken = [set() for _ in range(hubs)]
    for i, n in enumerate(per_hub):
        for _ in range(n):
            title = w.title(2, 5)
            site.append((i, unique(slugify(title), taken[i]), title))

    def path_of(entry):
        hub, slug, _ = entry
        return f"/{hub_list[hub][0]}" + (f"/{slug}" if slug else "")

    targets = [(path_of(e), e[2]) for e in site]

    os.makedirs(args.out_dir, exist_ok=True)
    # Home page.
    home = ["Welcome to the benchmark site. It has these sections:\n"]
    home += [f"- [{t}](/{s})" for s, t in hub_list]
    with open(os.path.join(args.out_dir, "_index.md"), "w") as f:
        f.write(front_matter("Benchmark site", w.summary(), 0, False))
        f.write("\n".join(home) + "\n")
    orders = {}
    for entry in site:
        hub, slug, title = entry
        hub_slug = hub_list[hub][0]
        folder = os.path.join(args.out_dir, hub_slug)
        if slug is None:
            os.makedirs(folder, exist_ok=True)
            name, order, in_nav = "_index.md", hub + 1, hub < 5
        else:
            orders[hub] = orders.get(hub, 0) + 1
            name, order, in_nav = f"{slug}.md", orders[hub], False
        text = front_matter(title, w.summary(), order, in_nav) + body(
            w, rng, targets, path_of(entry)
        )
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)

    if args.paths_out:
        hub_paths = [f"/{s}" for s, _ in hub_list]
        leaf_paths = [p for p, _ in targets if p.count("/") == 2]
        pick = ["/"] + hub_paths
        want = max(0, min(args.paths, len(pick) + len(leaf_paths)) - len(pick))
        pick += rng.sample(leaf_paths, want)
        pick = pick[: max(1, args.paths)]
        rng.shuffle(pick)
        with open(args.paths_out, "w") as f:
            f.write("\n".join(pick) + "\n")
    if args.words_out:
        # Mid-frequency words: the ~200 words after the 40 most common ones.
        with open(args.words_out, "w") as f:
            f.write("\n".join(w.vocab[40:240]) + "\n")
    print(f"generated {args.pages} pages ({hubs} hubs) in {args.out_dir}")


if __name__ == "__main__":
    main()
