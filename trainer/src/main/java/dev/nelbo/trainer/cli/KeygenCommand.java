package dev.nelbo.trainer.cli;

import dev.nelbo.schemas.bundle.BundleSignature;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;

/** {@code keygen}: a new Ed25519 key pair for signing bundles. */
@Command(name = "keygen", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a new Ed25519 key pair for signing model bundles: the private key (PKCS#8 PEM, readable by its"
                + " owner only) for the trainer's --signing-key / nelbo.bundle.signing.key, the public key (X.509 PEM) for"
                + " the scorers' and tools' nelbo.bundle.trusted.keys. Same format as 'openssl genpkey -algorithm ed25519'.")
final class KeygenCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--private-key", required = true, paramLabel = "FILE", description = "Private key file to create (must not exist).")
    private Path privateFile;

    @Option(names = "--public-key", required = true, paramLabel = "FILE", description = "Public key file to create (must not exist).")
    private Path publicFile;

    @Override
    public Integer call() {
        for (final Path f : new Path[] {privateFile, publicFile}) {
            if (Files.exists(f)) {
                throw new CommandLine.ParameterException(spec.commandLine(), f + " exists: keygen never overwrites a key");
            }
        }
        final KeyPair pair = BundleSignature.generate();
        try {
            Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(privateFile, BundleSignature.pem(pair.getPrivate()), StandardCharsets.US_ASCII);
            Files.writeString(publicFile, BundleSignature.pem(pair.getPublic()), StandardCharsets.US_ASCII,
                    java.nio.file.StandardOpenOption.CREATE_NEW);
        } catch (final FileAlreadyExistsException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getFile() + " exists: keygen never overwrites a key");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the key pair", e);
        }
        spec.commandLine().getOut().println("wrote " + privateFile + " (private: keep it secret) and " + publicFile
                + " (public key id " + BundleSignature.keyId(pair.getPublic()) + ")");
        return 0;
    }
}
