import HeraldCore
import Testing

@Suite struct KeyMaterialTests {
    @Test func generatedKeysAndTheDocumentedExamplesMakeGoodSeeds() {
        #expect(KeyMaterial.seededKeyProblem(KeyMaterial.newAPIKey().key) == nil)
        #expect(KeyMaterial.seededKeyProblem("hrld_0d6f1c2b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c") == nil)
        // 32 random hex digits: 128 bits, 16 distinct characters at most.
        #expect(KeyMaterial.seededKeyProblem("9f86d081884c7d659a2feaa0c55ad015") == nil)
    }

    @Test func shortMonotonousOrUnsendableSeedsAreRefused() {
        #expect(KeyMaterial.seededKeyProblem("changeme")?.contains("placeholder") == true)
        #expect(KeyMaterial.seededKeyProblem("hrl_ab")?.contains("6 characters long") == true)
        #expect(
            KeyMaterial.seededKeyProblem("hrld_my-local-admin-key-please-change-me")?.contains("placeholder") == true)
        #expect(KeyMaterial.seededKeyProblem(String(repeating: "a", count: 64))?.contains("1 distinct") == true)
        #expect(KeyMaterial.seededKeyProblem("0123456780123456780123456780123456")?.contains("9 distinct") == true)
        #expect(KeyMaterial.seededKeyProblem("hrld_ünïcödé-key-with-many-letters-1234") != nil)
        #expect(KeyMaterial.seededKeyProblem("hrld_tab\there-and-more-letters-0123456789") != nil)
    }
}
