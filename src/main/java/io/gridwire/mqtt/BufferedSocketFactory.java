package io.gridwire.mqtt;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import javax.net.SocketFactory;

/**
 * Plain TCP sockets whose input is buffered, for Paho ({@code MqttConnectionOptions.setSocketFactory}): Paho 1.2.5
 * reads each packet straight from the socket — a byte for the header, the length byte by byte, then the rest — so a
 * burst of small PUBLISH packets cost several system calls each (the receive thread was gridwire's busiest once the
 * ingest path batched). A 64 KiB buffer reads them a socket buffer at a time. Paho's 1 s read timeout still works:
 * a timeout can only interrupt a read that has returned nothing yet, so no byte is lost.
 */
public final class BufferedSocketFactory extends SocketFactory {

    private static final int BUFFER_BYTES = 64 * 1024;

    /** An unconnected socket (Paho connects it with its own timeout). */
    @Override
    public Socket createSocket() {
        return new BufferedSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private static Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket s = new BufferedSocket();
        if (local != null) {
            s.bind(local);
        }
        s.connect(remote);
        return s;
    }

    private static final class BufferedSocket extends Socket {
        private InputStream in;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                in = new BufferedInputStream(super.getInputStream(), BUFFER_BYTES);
            }
            return in;
        }
    }
}
