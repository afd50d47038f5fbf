import HeraldCore
import Testing

@Suite struct EventMaskTests {
    @Test func starMatchesEveryEventUnderItsOwnName() throws {
        let mask = try EventMask(parsing: "*")
        #expect(mask.match("booking_new")?.deliveredName == "booking_new")
        #expect(mask.match("ari")?.ariFilters == [])
    }

    @Test func semicolonListMatchesEachNamedEvent() throws {
        let mask = try EventMask(parsing: "booking_new;booking_cancellation")
        #expect(mask.match("booking_new") != nil)
        #expect(mask.match("booking_cancellation") != nil)
        #expect(mask.match("booking_modification") == nil)
        #expect(mask.match("ari") == nil)
    }

    @Test func bookingUmbrellaMatchesRevisionsAndDeliversAsBooking() throws {
        let mask = try EventMask(parsing: "booking")
        for event in ["booking_new", "booking_modification", "booking_cancellation", "booking"] {
            #expect(mask.match(event)?.deliveredName == "booking")
        }
        #expect(mask.match("booking_unmapped_room") == nil)
    }

    @Test func exactNameWinsOverTheUmbrella() throws {
        let mask = try EventMask(parsing: "booking;booking_new")
        #expect(mask.match("booking_new")?.deliveredName == "booking_new")
        #expect(mask.match("booking_cancellation")?.deliveredName == "booking")
    }

    @Test func ariFilterFormParsesEachPart() throws {
        let rate = "96a44e07-2158-43e4-8baa-8f6f56922ba8"
        let mask = try EventMask(parsing: "ari:rate,stop_sell:*:\(rate.uppercased())")
        let filter = ARIFilter(restrictions: ["rate", "stop_sell"], roomTypeIds: nil, ratePlanIds: [rate])
        #expect(mask.items == [.ari(filter)])
        #expect(mask.match("ari")?.ariFilters == [filter])
    }

    @Test func plainAriBeatsFiltersInTheSameMask() throws {
        let mask = try EventMask(parsing: "ari:rate:*:*;ari")
        #expect(mask.match("ari")?.ariFilters == [])
    }

    @Test func ariFilterKeepsItemsWithTheRestrictionRoomAndRatePlan() throws {
        let room = "27e24739-239c-4619-9c30-0dc390f5d7ac"
        let plan = "04c607e4-644d-45ea-ab1a-da920ee36e50"
        let filter = ARIFilter(restrictions: ["rate"], roomTypeIds: [room], ratePlanIds: nil)
        #expect(filter.keeps(["rate": 11100, "room_type_id": .string(room), "rate_plan_id": .string(plan)]))
        #expect(!filter.keeps(["availability": 5, "room_type_id": .string(room)]))
        #expect(!filter.keeps(["rate": 100, "room_type_id": "00000000-0000-0000-0000-000000000000"]))
        let byPlan = ARIFilter(restrictions: nil, roomTypeIds: nil, ratePlanIds: [plan])
        #expect(!byPlan.keeps(["availability": 5, "room_type_id": .string(room)]))
        #expect(byPlan.keeps(["stop_sell": false, "rate_plan_id": .string(plan.uppercased())]))
    }

    @Test func olderSpellingOfDisconnectChannelIsAccepted() throws {
        let mask = try EventMask(parsing: "disconnected_channel")
        #expect(mask.match("disconnect_channel") != nil)
        #expect(mask.match("disconnected_channel")?.deliveredName == "disconnect_channel")
    }

    @Test func octoEventNamesAreInTheCatalog() throws {
        let mask = try EventMask(parsing: "booking_update;availability_update;order_update;product_update")
        #expect(mask.items.count == 4)
    }

    @Test(arguments: [
        ("", EventMaskError.empty),
        ("booking;;ari", .emptyItem),
        ("*;booking", .wildcardNotAlone),
        ("booking_*", .unknownEvent("booking_*")),
        ("bookings", .unknownEvent("bookings")),
        ("ari:rate:*", .malformedFilter("ari:rate:*")),
        ("booking:rate:*:*", .malformedFilter("booking:rate:*:*")),
        ("ari:price:*:*", .unknownRestriction("price")),
        ("ari:rate:room-1:*", .invalidIdentifier("room-1")),
        ("ari:rate,:*:*", .malformedFilter("ari:rate,:*:*")),
    ])
    func malformedMasksAreRefused(text: String, expected: EventMaskError) {
        #expect(throws: expected) { try EventMask(parsing: text) }
    }

    @Test func whitespaceAroundItemsIsIgnored() throws {
        let mask = try EventMask(parsing: " booking_new ; ari ")
        #expect(mask.items == [.event("booking_new"), .event("ari")])
    }
}
