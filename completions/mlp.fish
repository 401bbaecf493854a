# fish completion for mlp(1). Every candidate comes from `mlp __complete
# WORD...`, which gets the words after "mlp" up to the one being completed
# and prints "value" or "value<TAB>description" lines (fish's own format);
# a ":files" line asks for file names too. Install in
# ~/.config/fish/completions/ or vendor_completions.d/.

function __mlp_complete
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    set -l cur (commandline -ct | string unescape)
    set -l out (command $prog __complete $words $cur 2>/dev/null)
    # ":files": file names too
    if contains -- :files $out
        __fish_complete_path $cur
    end
    for line in $out
        test "$line" = ":files"; or printf '%s\n' $line
    end
end

complete -c mlp -f -a '(__mlp_complete)'
