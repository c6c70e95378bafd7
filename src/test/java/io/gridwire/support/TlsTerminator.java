package io.gridwire.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

/**
 * HTTPS in front of a plain HTTP service on localhost (QuestDB has no TLS of its own): accepts TLS connections on a
 * free port with the given server context and relays the decrypted bytes both ways to {@code targetPort}.
 */
public final class TlsTerminator implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tls-terminator");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger handshakes = new AtomicInteger();

    public TlsTerminator(SSLContext serverContext, int targetPort) throws IOException {
        server = serverContext.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket target = new Socket("localhost", targetPort);
                    threads.execute(() -> relay(client, target, true));
                    threads.execute(() -> relay(target, client, false));
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    private void relay(Socket from, Socket to, boolean counts) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buf = new byte[16384];
            int n = in.read(buf);
            if (counts && n > 0) {
                handshakes.incrementAndGet(); // decrypted bytes arrived: the handshake succeeded
            }
            while (n >= 0) {
                out.write(buf, 0, n);
                out.flush();
                n = in.read(buf);
            }
        } catch (IOException ignored) {
            // either side closed
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** TLS connections that carried data (completed their handshake). */
    public int connections() {
        return handshakes.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
