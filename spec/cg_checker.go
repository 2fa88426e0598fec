package spec

import (
	"errors"
	"fmt"
)

// The Checker on a KIP-848 consumer group: a Snapshot with ConsumerGroup
// set is checked by the consumer-group rules (cg_rules.go) in place of the
// classic generation rules, which read generations the way the classic
// protocol bumps them; responses go to ResponseConsumerGroup.

// ResponseConsumerGroup is Response for a consumer group: rule 2 on one
// response the coordinator sent, with after the group's view right after.
func (ck *Checker) ResponseConsumerGroup(at int64, after ConsumerGroupView, m Message) {
	resp, ok := m.Body.(Response)
	k := requestKey{m.To, m.Correlation}
	req, asked := ck.requests[k]
	if !ok || !asked {
		ck.fail(at, fmt.Errorf("coordinator answered %s, which nobody asked", m))
		return
	}
	delete(ck.requests, k)
	if req.Group() == ck.group {
		ck.fail(at, CheckConsumerFencing(after, req, resp))
	}
	if hb, ok := req.(*ConsumerGroupHeartbeatRequest); ok && hb.TopicPartitions != nil && resp.Code() == None {
		if ck.cgReports == nil {
			ck.cgReports = map[string]Assignment{}
		}
		ck.cgReports[hb.MemberID] = hb.TopicPartitions
	}
}

// consumerGroupStep is rules 1, 4 and 5 on the consumer group after a step
// and between it and the previous one; and no consumer believes in an epoch
// the group has not reached.
func (ck *Checker) consumerGroupStep(s Snapshot) error {
	v := *s.ConsumerGroup
	unchanged := ck.havePrev && ck.prev.ConsumerGroup == s.ConsumerGroup && !ck.failedOver
	if unchanged {
		ck.cgReports = nil // nothing was released
	} else if err := CheckConsumerGroup(v); err != nil {
		return err
	}
	for _, c := range s.Consumers {
		if c.Alive && c.Generation > v.Epoch {
			return fmt.Errorf("epochs: %s believes it is at epoch %d, but consumer group %s is only at %d", c.Name, c.Generation, v.GroupID, v.Epoch)
		}
	}
	if !unchanged && ck.havePrev && ck.prev.ConsumerGroup != nil && !ck.failedOver {
		reports := ck.cgReports
		ck.cgReports = nil
		return errors.Join(CheckConsumerGroupStep(*ck.prev.ConsumerGroup, v),
			CheckConsumerReleases(*ck.prev.ConsumerGroup, v, reports))
	}
	ck.cgReports = nil
	return nil
}
