"""``chatsync bench``: chatsync and a naive baseline, side by side, on the local emulator.

- ``org``: a generated org (people, 4 spaces per group, one rule per space and role), a reorg of
  it, and the rules' oracle (evaluate the rules on the final facts against the starting roster).
- ``baseline``: event handling written the way Google's samples do it.
- ``running``: the phases (HR events at zero latency; a bulk reorg at the time-scaled quota;
  cold start) and the counts read back from the emulator's call log.
- ``reporting``: the fixed JSON keys, the readable table and the writes-per-second plot.
"""
