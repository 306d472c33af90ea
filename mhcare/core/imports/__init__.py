"""One spreadsheet-import framework for every import of the project (roster, results, and later
staff and lessons): reading .xlsx / .xls / CSV in the encodings Chinese Excel and WPS write
(``readers``), the limits a file must pass before it is parsed (``limits``), the one text
normalisation every cell goes through before it is checked or stored (``normalise``), and header
matching. The kernel imports no app: apps describe their columns and validate their rows."""
