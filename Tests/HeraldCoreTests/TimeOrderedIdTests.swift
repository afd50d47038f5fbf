import Foundation
import HeraldCore
import Testing

@Suite struct TimeOrderedIdTests {
    @Test func idsAreVersion7AndSortByTimeAsText() {
        let earlier = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_700_000_000))
        let later = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_700_000_000.002))
        #expect(earlier.uuid.6 >> 4 == 7)
        #expect(earlier.uuid.8 >> 6 == 0b10)
        #expect(earlier.text < later.text)
        #expect(earlier.text.hasPrefix("018bcfe5-6800"))
        #expect(Set((0..<1000).map { _ in UUID.timeOrdered() }).count == 1000)
    }

    @Test func messageIdsKeepTheStandardWebhooksShapeAndSortByTime() throws {
        let first = Delivery.newId()
        let second = Delivery.newId()
        #expect(first.hasPrefix("msg_") && first.count == 36 && !first.contains("-"))
        #expect(first.dropFirst(4).prefix(12) <= second.dropFirst(4).prefix(12))
    }
}
