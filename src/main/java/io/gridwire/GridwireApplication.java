package io.gridwire;

import org.apache.camel.main.Main;

/**
 * Starts gridwire: Camel main with the YAML routes under routes/; the package scan finds GridwireConfiguration,
 * which builds the beans.
 */
public final class GridwireApplication {

    private GridwireApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main(GridwireApplication.class);
        int code = main.run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
