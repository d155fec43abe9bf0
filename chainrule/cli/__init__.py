"""Command-line tools (`chainrule ...`)."""
