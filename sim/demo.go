package sim

// Demo is the built-in scenario of `kgroup sim`: a scale-out of a group
// that has fallen behind, under eager and cooperative rebalancing and under
// KIP-848's consumer protocol.
const Demo = `# kgroup's built-in demo. 12 consumers share the 48 partitions of "orders";
# 150 records per second go into each, and the application takes 2 ms per
# record (lognormal around 1.8 ms, sampled per batch): each consumer can do
# about 500 a second but gets 600, so the group falls
# behind and every consumer works through full batches (max.poll.records
# 500, a second each). At 60 s four more consumers join (capacity 8,000 a
# second for 7,200), the rebalance hands partitions over and the lag drains.
# Eager rebalancing (range) stops every partition until the new assignment,
# waiting for each member to finish its batch; cooperative
# (cooperative-sticky, KIP-429) stops only the partitions that move, for two
# rounds: fewer partitions, each for longer. The consumer protocol (KIP-848,
# group.protocol=consumer, the coordinator's uniform assignor) has no
# rebalance barrier: each member joining moves what it takes, revoked on
# the owner's next heartbeat and handed over on the newcomer's (the
# coordinator's heartbeat interval, 5 s); with no initial delay, the group
# also forms one member at a time, moving partitions as it goes.
variant eager assignor=range
variant cooperative assignor=cooperative-sticky
variant consumer protocol=consumer
cluster topics=orders:48
app record=lognormal(1.8ms,0.3)
start c1..c12
run 10s
produce orders 150/s
run 50s
start c13..c16
run 2m
# every partition stops under eager; under cooperative only those that move,
# in two rounds (the second waits for the others' next heartbeat)
assert eager.last.paused == 48
assert cooperative.last.paused == cooperative.last.moved
assert cooperative.last.rounds == 2
assert consumer.last.paused == consumer.last.moved
`
