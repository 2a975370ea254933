import JourneyLanguageServer
import Testing

struct TextDocumentTests {
    @Test func placeholder() {
        #expect(TextDocument("a").lineCount == 1)
    }
}
