import Foundation
import HeraldCore
import Testing

@Suite struct DeliveryLifecycleTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    let lifecycle = DeliveryLifecycle()

    @Test(arguments: [
        (200, DeliveryLifecycle.Verdict.success), (204, .success), (500, .retryable(retryAfter: nil)),
        (503, .retryable(retryAfter: nil)), (408, .retryable(retryAfter: nil)), (429, .retryable(retryAfter: nil)),
        (302, .retryable(retryAfter: nil)), (400, .final), (404, .final), (422, .final), (410, .gone),
    ])
    func statusCodesAreClassified(code: Int, verdict: DeliveryLifecycle.Verdict) {
        #expect(DeliveryLifecycle.verdict(statusCode: code, retryAfter: nil) == verdict)
    }

    @Test func noResponseIsRetryable() {
        #expect(DeliveryLifecycle.verdict(statusCode: nil, retryAfter: 5) == .retryable(retryAfter: nil))
        #expect(DeliveryLifecycle.verdict(statusCode: 429, retryAfter: 5) == .retryable(retryAfter: 5))
    }

    @Test func channexScheduleGivesTwelveTriesOverAboutADay() {
        let policy = RetryPolicy.channex
        #expect(policy.maxAttempts == 12)
        let delays = (1...11).compactMap { policy.delay(afterAttempts: $0, random: 0.5) }
        #expect(delays == [60, 120, 240, 480, 900, 1800, 3600, 7200, 14400, 21600, 36000])
        #expect(policy.delay(afterAttempts: 12, random: 0.5) == nil)
        let hours = delays.reduce(0, +) / 3600
        #expect(hours > 23 && hours < 25)
    }

    @Test func jitterStaysWithinTenPercent() {
        let policy = RetryPolicy.channex
        #expect(policy.delay(afterAttempts: 1, random: 0) == 54)
        #expect(policy.delay(afterAttempts: 1, random: 0.999_999)! < 66)
    }

    @Test func retryAfterCanLengthenButNotShortenTheWait() {
        let policy = RetryPolicy(scheduleSeconds: [60])
        #expect(policy.delay(afterAttempts: 1, random: 0.5, retryAfter: 600) == 600)
        #expect(policy.delay(afterAttempts: 1, random: 0.5, retryAfter: 5) == 60)
        #expect(policy.delay(afterAttempts: 1, random: 0.5, retryAfter: 10 * 86400) == RetryPolicy.maxRetryAfter)
    }

    @Test func successSettlesAndClearsFailing() {
        let result = lifecycle.next(
            after: 3, verdict: .success, policy: .channex, webhookFailingSince: now.addingTimeInterval(-60), now: now)
        #expect(result.next == .succeeded)
        #expect(result.effect == .recovered)
    }

    @Test func retryableFailureReschedulesPerPolicy() {
        let result = lifecycle.next(
            after: 1, verdict: .retryable(retryAfter: nil), policy: .channex, webhookFailingSince: nil, now: now,
            random: 0.5)
        #expect(result.next == .retry(at: now.addingTimeInterval(60)))
        #expect(result.effect == .failing(since: now))
    }

    @Test func exhaustedScheduleFails() {
        let result = lifecycle.next(
            after: 12, verdict: .retryable(retryAfter: nil), policy: .channex, webhookFailingSince: now, now: now)
        #expect(result.next == .failed)
        let single = lifecycle.next(
            after: 1, verdict: .retryable(retryAfter: nil), policy: .none, webhookFailingSince: nil, now: now)
        #expect(single.next == .failed)
    }

    @Test func finalFailureIsNotRetried() {
        let result = lifecycle.next(after: 1, verdict: .final, policy: .channex, webhookFailingSince: nil, now: now)
        #expect(result.next == .failed)
    }

    @Test func goneDisablesTheWebhook() {
        let result = lifecycle.next(after: 1, verdict: .gone, policy: .channex, webhookFailingSince: nil, now: now)
        #expect(result.next == .failed)
        guard case .disable = result.effect else {
            Issue.record("expected disable, got \(result.effect)")
            return
        }
    }

    @Test func failingLongerThanTheLimitDisables() {
        let since = now.addingTimeInterval(-73 * 3600)
        let result = lifecycle.next(
            after: 2, verdict: .retryable(retryAfter: nil), policy: .channex, webhookFailingSince: since, now: now)
        #expect(result.next == .failed)
        #expect(result.effect == .disable(reason: "no successful delivery for 72 hours"))
    }

    @Test func retryPolicyParsesItsJSONForms() throws {
        #expect(
            try RetryPolicy.parse(["schedule_seconds": [60, 60, 60]]).get()
                == RetryPolicy(scheduleSeconds: [60, 60, 60]))
        #expect(try RetryPolicy.parse("none").get() == .none)
        #expect((try? RetryPolicy.parse(["schedule_seconds": [0]]).get()) == nil)
        #expect((try? RetryPolicy.parse(["schedule_seconds": ["1"]]).get()) == nil)
        #expect((try? RetryPolicy.parse(["other": 1]).get()) == nil)
    }
}

@Suite struct FailureFoldTests {
    let t1 = Date(timeIntervalSince1970: 100)
    let t2 = Date(timeIntervalSince1970: 200)

    @Test func settlementsInOrderFoldIntoTheChangeTheyMakeOneByOne() {
        #expect(FailureFold([]).failing == .untouched)
        #expect(FailureFold([.failing(since: t1), .failing(since: t2)]).failing == .keptOr(t1))
        #expect(FailureFold([.failing(since: t1), .recovered]).failing == .cleared)
        #expect(FailureFold([.recovered, .failing(since: t2)]).failing == .set(t2))
        #expect(FailureFold([.recovered, .failing(since: t1), .failing(since: t2)]).failing == .set(t1))
        let disabled = FailureFold([.failing(since: t1), .disable(reason: "gone"), .recovered])
        #expect(disabled.disable == "gone" && disabled.failing == .cleared)
    }
}
