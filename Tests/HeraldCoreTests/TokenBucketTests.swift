import Foundation
import HeraldCore
import Testing

@Suite struct TokenBucketTests {
    @Test func burstThenRefillAtTheRate() {
        let start = Date(timeIntervalSince1970: 0)
        var bucket = TokenBucket(rate: .init(perSecond: 2, burst: 3), now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == 0.5)
        #expect(bucket.take(now: start.addingTimeInterval(0.5)) == nil)
        #expect(bucket.take(now: start.addingTimeInterval(10)) == nil)
    }
}
