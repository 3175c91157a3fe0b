"""Check one published claim on the paper's models and on the article's own."""

from archscope.claims import by_id, evaluate

claim = by_id()["000-vgg16-3x-alexnet"]
print(claim.statement, f"({claim.source})")
for e in evaluate(claim):
    print(f"  {' / '.join(e.models):40s} {e.measured:.2f}x  -> {e.verdict.value}")
