"""The 一生一策 growth file: what screening adds to the kernel's student page (score-trend charts,
the support plan) and the printable PDF."""
