"""The publisher an SKPD's own system runs (LaSIDE, PADDARE, SIA...).

Installed on that unit's PC with Python and paho-mqtt alone: it imports
nothing of the command center but `streams.agent.contract` (enforced by the
import contracts in pyproject.toml).
"""
