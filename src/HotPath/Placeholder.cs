namespace HotPath;
