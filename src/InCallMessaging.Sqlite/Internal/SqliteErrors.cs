using InCallMessaging.SemanticKernel;
using Microsoft.Data.Sqlite;

namespace InCallMessaging.Sqlite.Internal;

/// <summary>Turns SQLite's error codes into <see cref="StateStoreException"/>s that say what failed and the fix.</summary>
internal static class SqliteErrors
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;

    /// <summary>The fix for a file that is not a database, or a damaged one.</summary>
    public const string CorruptFix =
        "restore it from a backup, or move it away and point ConnectionStrings:InCallMessaging at another file";

    /// <summary>Wraps a failure of one read or write.</summary>
    public static StateStoreException Wrap(string store, string path, string doing, SqliteException error) =>
        new(store, $"{doing} failed: {Describe(path, error)}", error);

    /// <summary>Whether the writer's connection is unusable after <paramref name="error"/> and must be opened again.</summary>
    public static bool BreaksConnection(SqliteException error) =>
        (error.SqliteErrorCode & 0xFF) is ReadOnly or IoError or Corrupt or CantOpen or NotADatabase;

    private static string Describe(string path, SqliteException error) => (error.SqliteErrorCode & 0xFF) switch
    {
        Busy or Locked =>
            $"the database '{path}' is locked by another connection or process for longer than BusyTimeout ({error.Message}); "
            + "stop the other program that writes to it, give each host its own file, or raise BusyTimeout",
        Full =>
            $"the disk holding '{path}' is full ({error.Message}); free space on that volume or move the file to a larger one",
        ReadOnly =>
            $"the database '{path}' is read-only ({error.Message}): the file or its directory is not writable, the connection "
            + "string says Mode=ReadOnly, or the file was moved or deleted while open; make the file and its directory writable "
            + "by this process and keep the file in place",
        IoError =>
            $"an I/O error occurred on '{path}' ({error.Message}); check the disk and that the file and its -wal and -shm "
            + "companions were not removed",
        CantOpen =>
            $"'{path}' could not be opened ({error.Message}); check that its directory exists and is writable by this process",
        Corrupt or NotADatabase =>
            $"'{path}' is not a SQLite database or is corrupt ({error.Message}); {CorruptFix}",
        _ => $"SQLite error {error.SqliteErrorCode} on '{path}' ({error.Message}); check the file and ConnectionStrings:InCallMessaging",
    };
}
