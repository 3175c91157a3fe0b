"""Check one published claim: the verdict on the build it is about (the article's own models, whose code the
sentence follows), with its rule, and the papers' builds measured beside it."""

from archscope.claims import by_id, evaluate

claim = by_id()["000-vgg16-3x-alexnet"]
print(claim.statement, f"({claim.source})")
for e in evaluate(claim):
    print(f"  {' / '.join(e.models):40s} {e.measured:.2f}x  -> {e.verdict.value}")
    print(f"    why this build: {e.build}")
    print(f"    rule: {e.rule}")
    for a in e.also:  # shown beside the verdict, never as it
        print(f"  also on {' / '.join(a['models']):32s} {a['measured']:.2f}x  -> {a['outcome']} there (not the verdict)")
