// EPUBCheck 5 on many EPUBs in one JVM (starting one per file costs seconds each, and a warm JVM checks an EPUB in
// a fraction of a second), used by tests/conftest.py's `epubcheck` fixture:
//   java -cp epubcheck.jar tests/EpubCheckBatch.java
// reads one request a line from standard input, EPUBCheck's command-line arguments separated by tabs (such as
// "BOOK.epub<TAB>--json<TAB>REPORT.json"), and answers each with the line "@@EpubCheckBatch EXIT" on standard
// output once that check is done. EPUBCheck's own output goes to standard error. Each request gets a new
// EpubChecker: its options are instance fields, so one run cannot leak into the next.

import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public class EpubCheckBatch {
    public static void main(String[] args) throws Exception {
        PrintStream answers = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);  // EPUBCheck prints as it goes: only the answers go to standard output
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = requests.readLine()) != null; ) {
            if (line.isEmpty()) {
                continue;
            }
            int exit;
            try {
                exit = new EpubChecker().run(line.split("\t"));
            } catch (RuntimeException e) {
                System.err.println(line + ": " + e);
                exit = -1;
            }
            System.err.flush();
            answers.println("@@EpubCheckBatch " + exit);
        }
    }
}
