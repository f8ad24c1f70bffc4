"""The command line (`rnndyn ...`) and the study that reproduces the paper's figures."""
