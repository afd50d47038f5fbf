import Foundation
import HeraldCore
import Testing

/// An endpoint's circuit: when it opens, what a probe does, and what leaves it alone.
@Suite struct CircuitBreakerTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let breaker = CircuitBreaker(threshold: 3, backoff: 30, maxBackoff: 120)

    func failing(_ count: Int, from circuit: Circuit = .closed, at date: Date = t0) -> Circuit {
        (0..<count).reduce(circuit) { current, _ in breaker.next(current, after: .unhealthy, now: date) }
    }

    @Test func itOpensAfterThresholdFailuresInARow() {
        let almost = failing(2)
        #expect(!almost.isOpen)
        #expect(almost.failures == 2)
        let open = failing(1, from: almost)
        #expect(open.isOpen)
        #expect(open.openedAt == Self.t0)
        #expect(open.probeAt == Self.t0.addingTimeInterval(30))
        #expect(open.state(at: Self.t0.addingTimeInterval(29)) == .open)
        #expect(open.state(at: Self.t0.addingTimeInterval(30)) == .halfOpen)
    }

    @Test func aSuccessClosesItAndForgetsTheFailures() {
        #expect(breaker.next(failing(2), after: .healthy, now: Self.t0) == .closed)
        #expect(breaker.next(failing(3), after: .healthy, now: Self.t0) == .closed)
    }

    @Test func aFinal4xxOrNothingSentLeavesItAsItIs() {
        let circuit = failing(2)
        #expect(breaker.next(circuit, after: .none, now: Self.t0) == circuit)
    }

    @Test func sendsUnderWayWhenItOpenedDoNotMoveTheProbe() {
        let open = failing(3)
        let late = breaker.next(open, after: .unhealthy, now: Self.t0.addingTimeInterval(10))
        #expect(late.probeAt == open.probeAt)
        #expect(late.failedProbes == 0)
        // Even when it ends after the probe time: it started before.
        let slow = breaker.next(open, after: .unhealthy, startedAt: Self.t0, now: Self.t0.addingTimeInterval(45))
        #expect(slow.probeAt == open.probeAt)
        #expect(slow.failedProbes == 0)
    }

    @Test func eachFailedProbeDoublesTheWaitUpToTheCap() {
        var circuit = failing(3)
        var waits: [TimeInterval] = []
        for _ in 0..<4 {
            let probeTime = circuit.probeAt!
            circuit = breaker.next(circuit, after: .unhealthy, now: probeTime)
            waits.append(circuit.probeAt!.timeIntervalSince(probeTime))
        }
        #expect(waits == [60, 120, 120, 120])
        #expect(circuit.openedAt == Self.t0)
        #expect(breaker.next(circuit, after: .healthy, now: circuit.probeAt!) == .closed)
    }
}
