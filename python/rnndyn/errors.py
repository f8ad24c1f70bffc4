"""Exceptions of rnndyn beyond the built-in ValueError and TypeError."""


class DivergenceError(ValueError):
    """A simulation or training run produced a non-finite state, output, readout or P.

    The network is left as it was before the call.
    """
