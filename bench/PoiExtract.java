// PoiExtract: Apache POI HWPF baseline for bench/compare-doc.sh.
//
// Usage: java -cp CLASSPATH PoiExtract OUTDIR LISTFILE
//
// LISTFILE holds one .doc path per line (UTF-8). For each path the program
// writes OUTDIR/<base name without extension>.txt with
// new WordExtractor(in).getText(), all inside this one JVM. Failures are
// printed to stderr and counted; the exit status is 1 if any file failed.
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.apache.poi.hwpf.extractor.WordExtractor;

public class PoiExtract {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: PoiExtract OUTDIR LISTFILE");
            System.exit(2);
        }
        Path out = Paths.get(args[0]);
        Files.createDirectories(out);
        List<String> files = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        int ok = 0, failed = 0;
        for (String name : files) {
            if (name.isEmpty()) {
                continue;
            }
            String base = Paths.get(name).getFileName().toString();
            int dot = base.lastIndexOf('.');
            if (dot > 0) {
                base = base.substring(0, dot);
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(Paths.get(name)));
                 WordExtractor ex = new WordExtractor(in)) {
                String text = ex.getText();
                Files.write(out.resolve(base + ".txt"), text.getBytes(StandardCharsets.UTF_8));
                ok++;
            } catch (Throwable t) { // POI throws many kinds on odd input; count them all
                failed++;
                System.err.println(name + ": " + t);
            }
        }
        System.err.println("PoiExtract: ok=" + ok + " failed=" + failed);
        System.exit(failed == 0 ? 0 : 1);
    }
}
