"""Figures and reports: pledged, received, routed, disbursed (and outstanding), per asset.

``flows`` turns the journal into attributed flows; ``figures`` sums them by any dimension and
period; ``render`` prints and writes them. See docs/routing.md.
"""
