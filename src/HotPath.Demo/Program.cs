System.Console.WriteLine("HotPath demo");
