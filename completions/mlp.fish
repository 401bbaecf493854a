# fish completion for mlp(1). Every candidate comes from `mlp __complete
# WORD...`, which gets the words after "mlp" up to the one being completed
# and prints "value" or "value<TAB>description" lines (fish's own format),
# or ":files" for file names. Install in ~/.config/fish/completions/ or
# vendor_completions.d/.

function __mlp_complete
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    set -l cur (commandline -ct | string unescape)
    set -l out (command $prog __complete $words $cur 2>/dev/null)
    if test "$out[1]" = ":files"
        __fish_complete_path $cur
        return
    end
    printf '%s\n' $out
end

complete -c mlp -f -a '(__mlp_complete)'
